"""Where production keeps the collected static files."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CollectedStaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage (content-hashed names, each file also stored compressed) that leaves
    the source map comments of scripts as they are. Rewriting such a comment to the map's hashed
    name needs the map, and the vendored Chart.js and Leaflet name maps they are not shipped with:
    `collectstatic` would fail on them. Stylesheets keep Django's rewriting of their references."""

    patterns = tuple((glob, rules) for glob, rules in CompressedManifestStaticFilesStorage.patterns if glob != "*.js")
