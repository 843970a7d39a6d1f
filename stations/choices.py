# Stations and areas have no statuses of their own; a station's pile counts come from piles.choices.
