"""The production stack (Dockerfile, docker-compose.yml, .env.example) checked against the project.

Docker is not available where the tests run, so what the stack relies on is checked piece by
piece: every service runs a program, subcommand and options the project has; every variable
given to the platform is one the settings read, and every variable .env.example names is used;
ports and URLs agree between the services; every long-running service has a health check; and
the health checks of the web server, the gateway and beat pass against the real thing and fail
without it. The web server is started as the image starts it, from the image's collected static
files, to show that gunicorn and WhiteNoise serve the platform with DEBUG off.
"""

import ast
import importlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import click
import dj_database_url
import pytest
import yaml
from celery.app.utils import find_app
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli
from django.core.management import get_commands, load_command_class
from django.db import OperationalError, connection
from gunicorn.config import Config as GunicornConfig

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
# The platform's own processes: the services built from the project's Dockerfile.
PLATFORM = {name: service for name, service in SERVICES.items() if "build" in service}
# Services that run once and exit (the migration); the others wait for them to succeed.
ONE_SHOT = {name for name, service in SERVICES.items() if service.get("restart") == "no"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT

# Compose's interpolation: $$ is a dollar sign; ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error} and $NAME take the variable from the environment or .env.
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
ENV_LINE = re.compile(r"^(?P<optional>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")
# A health probe's address inside its container: 'http://127.0.0.1:8000/...' or ('127.0.0.1', 9000).
PROBE_PORT = re.compile(r"(127\.0\.0\.1'?(?::|,\s*))(\d+)")


class MissingVariable(Exception):
    pass


def interpolate(value, env: dict[str, str]):
    """The compose file's values as compose reads them with `env` as the contents of .env."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match):
        if match["escaped"]:
            return "$"
        name = match["name"] or match["bare"]
        current, operator, argument = env.get(name), match["operator"], match["argument"]
        if operator in (":?", "?") and (current is None or (operator == ":?" and not current)):
            raise MissingVariable(f"{name}: {argument}")
        if operator == ":-" and not current:
            return argument
        if operator == "-" and current is None:
            return argument
        return current or ""

    return INTERPOLATION.sub(replace, value)


def compose_variables() -> set[str]:
    return {match["name"] or match["bare"] for match in INTERPOLATION.finditer(COMPOSE_TEXT) if not match["escaped"]}


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """The variables .env.example gives, and the optional ones it shows commented out."""
    given, optional = {}, {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = ENV_LINE.match(line.strip())
        if match:
            (optional if match["optional"] else given)[match["name"]] = match["value"]
    return given, optional


def sample_env() -> dict[str, str]:
    """.env.example filled in as an operator would: every value left empty gets one."""
    given, _optional = env_example()
    return {name: value or f"sample{name.lower().replace('_', '')}" for name, value in given.items()}


def stack() -> dict:
    """The services as compose runs them with the sample .env."""
    return interpolate(SERVICES, sample_env())


def settings_reads() -> set[str]:
    """The environment variables chargeops/settings.py reads: the literal names passed to
    `os.environ.get`, `os.getenv`, `os.environ[...]` and to the settings' own readers (functions
    defined there that read `os.environ`, such as `env_bool`)."""
    tree = ast.parse((ROOT / "chargeops" / "settings.py").read_text())
    readers = {"os.environ.get", "os.getenv"} | {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef) and "os.environ" in ast.unparse(node)
    }
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in readers and node.args:
            argument = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            argument = node.slice
        else:
            continue
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
    return names


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of each line of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def dockerfile_env() -> dict[str, str]:
    env = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ENV":
            env.update(token.split("=", 1) for token in shlex.split(arguments))
    return env


def command_parse(argv: list[str]):
    """Parse a command line as the program it starts parses it, failing on a program, command or
    option the project does not have. Returns the parsed options."""
    program, *args = argv
    if program == "python":
        assert args[0] == "manage.py", argv
        name, *options = args[1:]
        commands = get_commands()
        assert name in commands, f"manage.py has no command {name!r}"
        # Django's parser raises CommandError on an option the command does not take.
        return load_command_class(commands[name], name).create_parser("manage.py", name).parse_args(options)
    if program == "gunicorn":
        try:
            parsed = GunicornConfig().parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"gunicorn does not take {args}")
        assert len(parsed.args) == 1, f"gunicorn serves one application, not {parsed.args}"
        module, _, attribute = parsed.args[0].partition(":")
        application = getattr(importlib.import_module(module), attribute or "application")
        assert callable(application), parsed.args[0]
        return parsed
    if program == "celery":
        assert args[0] in ("-A", "--app"), f"celery needs the app: {argv}"
        app = find_app(args[1])
        subcommand_name, *options = args[2:]
        subcommand = celery_cli.commands.get(subcommand_name)
        assert subcommand is not None, f"celery has no command {subcommand_name!r}"
        parent = click.Context(celery_cli, info_name="celery", obj=CLIContext(app=app, no_color=True, workdir=None))
        try:
            return subcommand.make_context(subcommand_name, options, parent=parent).params
        except click.ClickException as error:
            pytest.fail(f"celery {subcommand_name} does not take {options}: {error.format_message()}")
    pytest.fail(f"{program!r} is not a program of the project")


def published_container_port(service: dict) -> int:
    (mapping,) = service["ports"]
    return int(mapping.rsplit(":", 1)[1])


def probe(service: dict) -> list[str]:
    """A service's health check as the argument list the container runs."""
    kind, *rest = service["healthcheck"]["test"]
    if kind == "CMD-SHELL":
        (script,) = rest
        return ["sh", "-c", script]
    assert kind == "CMD", service["healthcheck"]
    return rest


def python_probe(service: dict) -> str:
    argv = probe(service)
    assert argv[:2] == ["python", "-c"], argv
    return argv[2]


def probe_port(code: str) -> int:
    (port,) = {int(match[2]) for match in PROBE_PORT.finditer(code)}
    return port


def probe_run(code: str, *, port: int | None = None, timeout: float = 20) -> int:
    """Run a Python health probe here (against `port` instead of its own) and return its exit status."""
    if port is not None:
        code = PROBE_PORT.sub(lambda match: f"{match[1]}{port}", code)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=timeout).returncode


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


# The stack's shape.


def test_the_stack_runs_the_databases_the_migration_and_every_process_of_the_platform():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "gateway", "worker", "beat"}
    assert set(PLATFORM) == {"migrate", "web", "gateway", "worker", "beat"}
    assert sorted(ONE_SHOT) == ["migrate"]
    # One image for every process, so that they never run different code.
    assert {(service["build"], service["image"]) for service in PLATFORM.values()} == {(".", "chargeops:latest")}


@pytest.mark.parametrize("name", sorted(PLATFORM))
def test_each_service_runs_a_command_the_project_has(name):
    assert command_parse(stack()[name]["command"])


def test_a_command_the_project_does_not_have_is_caught():
    """The command check itself fails on a misspelled command, option or module."""
    with pytest.raises(AssertionError, match="no command 'ocpp_gatway'"):
        command_parse(["python", "manage.py", "ocpp_gatway"])
    with pytest.raises(pytest.fail.Exception, match="does not take"):
        command_parse(["celery", "-A", "chargeops", "worker", "--logleve", "INFO"])
    with pytest.raises(ModuleNotFoundError):
        command_parse(["gunicorn", "chargeops.wsgy"])


def test_the_services_run_what_their_names_say():
    services = stack()
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]
    assert services["web"]["command"][:2] == ["gunicorn", "chargeops.wsgi"]
    assert services["gateway"]["command"][:3] == ["python", "manage.py", "ocpp_gateway"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "chargeops", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "chargeops", "beat"]


def test_every_long_running_service_has_a_health_check_and_waits_for_what_it_needs():
    for name in LONG_RUNNING:
        healthcheck = SERVICES[name].get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck.get("disable"), f"{name} has no health check"
        assert healthcheck["test"][0] in ("CMD", "CMD-SHELL"), name
    for name, service in PLATFORM.items():
        depends_on = service["depends_on"]
        assert depends_on["postgres"] == {"condition": "service_healthy"}, name
        if name in ONE_SHOT:
            continue
        assert depends_on["redis"] == {"condition": "service_healthy"}, name
        for one_shot in ONE_SHOT:
            assert depends_on[one_shot] == {"condition": "service_completed_successfully"}, name


def test_the_platforms_health_checks_are_programs_it_has():
    for name, service in stack().items():
        if name not in PLATFORM or name in ONE_SHOT:
            continue
        argv = probe(service)
        if argv[:2] == ["python", "-c"]:
            compile(argv[2], f"<{name} health check>", "exec")
        else:
            assert argv[:2] == ["sh", "-c"], argv
            command_parse(shlex.split(argv[2].replace("$HOSTNAME", socket.gethostname())))


# Variables.


def test_the_settings_reader_finds_what_the_settings_read():
    """The reader behind the checks below sees reads through `os.environ` and `env_bool` alike."""
    reads = settings_reads()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG", "HTTPS", "STATIC_COLLECTED"} <= reads
    assert "SECRET_KEYS" not in reads


@pytest.mark.parametrize("name", sorted(PLATFORM))
def test_every_variable_a_service_sets_is_read_by_the_settings(name):
    assert set(SERVICES[name]["environment"]) - settings_reads() == set()


def test_every_variable_the_image_sets_is_read_by_the_settings_or_by_python():
    env = dockerfile_env()
    assert "STATIC_COLLECTED" in env
    unread = {name for name in env if not name.startswith(("PYTHON", "PIP_"))} - settings_reads()
    assert unread == set()


def test_every_variable_of_env_example_is_read_by_the_settings_or_by_the_compose_file():
    given, optional = env_example()
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "POSTGRES_PASSWORD"} <= set(given)
    named = set(given) | set(optional)
    assert named - settings_reads() - compose_variables() == set()


def test_every_variable_the_compose_file_uses_is_documented_in_env_example():
    given, optional = env_example()
    assert compose_variables() - set(given) - set(optional) == set()


def test_compose_refuses_to_start_without_the_values_env_example_leaves_empty():
    given, _optional = env_example()
    empty = {name for name, value in given.items() if not value}
    assert empty == {"SECRET_KEY", "POSTGRES_PASSWORD"}
    for name in empty:
        env = sample_env() | {name: ""}
        with pytest.raises(MissingVariable, match=name):
            interpolate(SERVICES, env)


def test_the_platform_runs_with_debug_off_on_postgresql_and_redis():
    services = stack()
    env = sample_env()
    postgres = services["postgres"]["environment"]
    for name in PLATFORM:
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "false"
        assert environment["SECRET_KEY"] == env["SECRET_KEY"]
        database = urlsplit(environment["DATABASE_URL"])
        assert dj_database_url.parse(environment["DATABASE_URL"])["ENGINE"] == "django.db.backends.postgresql"
        assert (database.hostname, database.port) == ("postgres", 5432)
        assert database.hostname in SERVICES
        assert (database.username, database.password) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
        assert database.path == f"/{postgres['POSTGRES_DB']}"
        redis = urlsplit(environment["REDIS_URL"])
        assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)


# Ports.


def test_the_web_servers_port_is_the_one_published_and_probed():
    web = stack()["web"]
    options = command_parse(web["command"])
    (bind,) = options.bind
    host, port = bind.rsplit(":", 1)
    # 0.0.0.0: reachable through the port docker publishes, not only from inside the container.
    assert host == "0.0.0.0"
    assert int(port) == published_container_port(web) == probe_port(python_probe(web)) == 8000


def test_the_gateways_port_is_the_one_published_and_probed():
    gateway = stack()["gateway"]
    options = command_parse(gateway["command"])
    assert options.host == "0.0.0.0"
    assert options.port == published_container_port(gateway) == probe_port(python_probe(gateway)) == 9000


def test_the_image_exposes_the_ports_the_stack_publishes():
    exposed = {
        int(port)
        for instruction, arguments in dockerfile_instructions()
        if instruction == "EXPOSE"
        for port in arguments.split()
    }
    published = {published_container_port(service) for service in SERVICES.values() if "ports" in service}
    assert exposed == published == {8000, 9000}


def test_the_published_ports_default_to_this_machine_for_the_tls_proxy():
    for name in ("web", "gateway"):
        (mapping,) = stack()[name]["ports"]
        assert mapping.startswith("127.0.0.1:"), mapping


# Health checks against the real processes.


@pytest.mark.django_db
def test_healthz_answers_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    def refused():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refused)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database unavailable\n"


@pytest.mark.django_db
def test_healthz_is_answered_by_address_and_plain_http_while_pages_are_not(client, settings):
    """The probe comes by the container's address over plain HTTP; a page asked the same way is
    refused for its host name, so the check would fail without the health middleware's place."""
    settings.ALLOWED_HOSTS = ["ops.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="172.18.0.5:8000").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="172.18.0.5:8000").status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST="ops.example.com").status_code == 301


def test_the_gateways_health_check_passes_against_the_gateway_and_fails_without_it(ocpp_gateway):
    code = python_probe(stack()["gateway"])
    assert probe_run(code, port=ocpp_gateway.gateway.port) == 0
    assert probe_run(code, port=free_port()) != 0


def test_the_workers_health_check_pings_this_worker():
    services = stack()
    worker = command_parse(services["worker"]["command"])
    argv = probe(services["worker"])
    assert argv[:2] == ["sh", "-c"]
    # In a container $HOSTNAME is its host name, which the worker names itself after by default.
    ping = command_parse(shlex.split(argv[2].replace("$HOSTNAME", socket.gethostname())))
    assert ping["command"] == "ping"
    assert ping["destination"] == [worker["hostname"]]


def test_the_beats_health_check_fails_once_its_schedule_file_goes_stale(tmp_path):
    beat = stack()["beat"]
    schedule = command_parse(beat["command"])["schedule"]
    code = python_probe(beat)
    assert schedule in code
    here = code.replace(schedule, str(tmp_path / "celerybeat-schedule"))
    assert probe_run(here) != 0, "no schedule file yet"
    # The shelve's files carry a suffix with some dbm modules (.dat, .dir, .bak with the dumb one).
    data = tmp_path / "celerybeat-schedule.dat"
    data.write_bytes(b"")
    assert probe_run(here) == 0
    stale = time.time() - 20 * 60
    os.utime(data, (stale, stale))
    assert probe_run(here) != 0


def database_env() -> dict[str, str]:
    """The test database, for a process started by a test."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(ROOT / database["NAME"])}
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    return {
        "DATABASE_URL": f"postgres://{credentials}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    }


def build_step(name: str) -> tuple[dict[str, str], list[str]]:
    """The Dockerfile's RUN step that runs `manage.py name`: its inline variables and its command."""
    for instruction, arguments in dockerfile_instructions():
        tokens = shlex.split(arguments)
        if instruction == "RUN" and name in tokens:
            assignments = [token for token in tokens if re.fullmatch(r"[A-Z_]+=.*", token)]
            return dict(token.split("=", 1) for token in assignments), tokens[len(assignments) :]
    pytest.fail(f"the Dockerfile does not run {name}")


@pytest.mark.django_db
def test_the_web_server_serves_the_platform_as_the_image_runs_it(tmp_path):
    """collectstatic as the image's build runs it, then gunicorn with the web service's command:
    its health check passes, and pages link to the collected files, which WhiteNoise serves
    compressed and cacheable for good."""
    test_only = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    env = {key: value for key, value in os.environ.items() if key not in test_only}
    env |= dockerfile_env() | {"STATIC_ROOT": str(tmp_path / "static"), "HOME": str(tmp_path)}
    build_env, build_command = build_step("collectstatic")
    assert build_command[:2] == ["python", "manage.py"]
    subprocess.run([sys.executable, *build_command[1:]], cwd=ROOT, env=env | build_env, check=True, capture_output=True)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    stylesheet = manifest["chargeops/app.css"]
    assert stylesheet != "chargeops/app.css"

    web = stack()["web"]
    port = free_port()
    argv = web["command"]
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    argv[argv.index("--workers") + 1] = "1"
    runtime = env | {key: web["environment"][key] for key in ("DEBUG", "ALLOWED_HOSTS", "SECRET_KEY")}
    runtime |= {"HTTPS": "true"} | database_env()
    with open(tmp_path / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(
            [Path(sys.executable).parent / "gunicorn", *argv[1:]], cwd=ROOT, env=runtime, stdout=log, stderr=log
        )
    try:
        code = python_probe(web)
        deadline = time.monotonic() + 30
        while probe_run(code, port=port) != 0:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "the web server's health check did not pass within 30 s"
            time.sleep(0.3)

        def get(path: str):
            host = runtime["ALLOWED_HOSTS"].split(",")[0]
            headers = {"Host": host, "X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"}
            return urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers))

        assert f'href="/static/{stylesheet}"' in get("/accounts/login/").read().decode()
        response = get(f"/static/{stylesheet}")
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "immutable" in response.headers["Cache-Control"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            get("/static/chargeops/no-such-file.css")
        assert missing.value.code == 404
    finally:
        server.terminate()
        server.wait(20)
