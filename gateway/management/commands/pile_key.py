from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gateway.services import pile_key_set
from piles.models import Pile


class Command(BaseCommand):
    help = "Set or rotate a pile's OCPP AuthorizationKey (its HTTP Basic password) and print it."

    def add_arguments(self, parser):
        parser.add_argument("charge_point_id")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--set", dest="key", metavar="KEY", help="Use this key (16 to 64 printable characters).")
        group.add_argument("--rotate", action="store_true", help="Generate a new random key.")

    def handle(self, *args, charge_point_id, key, rotate, **options):
        pile = Pile.objects.filter(charge_point_id__iexact=charge_point_id).first()
        if pile is None:
            raise CommandError(f"No pile has the charge point id “{charge_point_id}”.")
        try:
            key = pile_key_set(user=None, pile=pile, key=None if rotate else key)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(key)
