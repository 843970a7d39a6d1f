# Django's zh_Hans formats group digits by four with no separator (56000 reads as "56000");
# Chinese operations software, like the exported spreadsheets, groups by three with commas.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
