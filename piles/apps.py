from django.apps import AppConfig


class PilesConfig(AppConfig):
    name = "piles"
