"""manage.py demo: a data scientist, three mines, two campaigns, real encrypted training.

The demo drives the platform exactly as outside users would: every step goes through the REST
API with pysonar. The HTTP requests are served IN-PROCESS by Django's own WSGI handler (see
WsgiTransport) rather than by a `runserver` child process: one command and one database
connection, no port to find, no server left running if the demo is interrupted, and Celery's
eager mode evaluates each gradient inside the request that submitted it. The path through
pysonar, the middleware, authentication and the API views is the same as over a socket; the
tests cover the socket path separately (live server, and `mine_run` in its own process).
"""

from __future__ import annotations

import io
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import numpy as np
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from tqdm import tqdm

from accounts.models import DATA_SCIENTIST, MINER
from accounts.services import token_issue, user_signup
from mine_ui.earnings import mine_earnings
from mine_ui.mining import mine_train_once
from mine_ui.models import Dataset, Mine
from mine_ui.policy import money
from mine_ui.services import budget_set, dataset_import, mine_create, policy_update
from pysonar import SonarClient, SonarError

# Documented: the demo's users are public.
DEMO_PASSWORD = "sonar-demo-password"  # noqa: S105  # nosec B105
SCIENTIST = "demo-scientist"
MINERS = ("demo-miner-1", "demo-miner-2", "demo-miner-3")
MINE_NAME = "demo mine"
VALIDATION_SHARE = 0.25
SEED = 2024


# --- an in-process HTTP transport -----------------------------------------------------------


class WsgiTransport(BaseAdapter):
    """A requests transport that hands each request to Django's WSGI application directly."""

    def __init__(self) -> None:
        super().__init__()
        self.application = WSGIHandler()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Build the WSGI environ a server would, call the application, wrap its answer."""
        url = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        port = url.port or (443 if url.scheme == "https" else 80)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method or "GET",
            "SCRIPT_NAME": "",
            # WSGI carries the raw path bytes as a latin-1 string.
            "PATH_INFO": unquote_to_bytes(url.path or "/").decode("latin-1"),
            "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "localhost",
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        environ.setdefault("HTTP_HOST", url.netloc)
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            started["status"], started["headers"] = status, headers
            return lambda data: None

        result = self.application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        response = requests.Response()
        code, _, reason = started["status"].partition(" ")
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(started["headers"])
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = content
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release: there is no connection."""


def in_process_session() -> requests.Session:
    """A requests session served by this process's Django application."""
    session = requests.Session()
    transport = WsgiTransport()
    session.mount("http://", transport)
    session.mount("https://", transport)
    return session


# --- the data: slices of scikit-learn's bundled data sets -----------------------------------


@dataclass(frozen=True)
class DemoTask:
    """One campaign of the demo and the data its owner and the mines hold."""

    name: str
    description: str
    algorithm: str
    input_schema: list[dict]
    output_schema: list[dict]
    validation_csv: bytes
    mine_csvs: list[bytes]
    learning_rate: float
    target_accuracy: float
    bounty_minor: int


def _cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    # Six significant digits: plenty for a demo, and the CSV stays small.
    return format(float(value), ".6g")


def table_csv(columns: list[str], X: np.ndarray, y: Iterable[Any]) -> bytes:
    """CSV bytes with a header line, the feature columns and the target column last."""
    lines = [",".join(columns)]
    for row, target in zip(X, y, strict=True):
        lines.append(",".join([*(_cell(v) for v in row), _cell(target)]))
    return ("\n".join(lines) + "\n").encode("ascii")


def _standardize(X: np.ndarray) -> np.ndarray:
    # Plain gradient descent converges only when the columns share one scale.
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _split(
    X: np.ndarray, y: np.ndarray, n_mines: int, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """Shuffle, keep a validation share for the data scientist, deal the rest to the mines."""
    order = np.random.default_rng(seed).permutation(len(X))
    X, y = X[order], y[order]
    cut = int(len(X) * VALIDATION_SHARE)
    rest = np.array_split(np.arange(cut, len(X)), n_mines)
    return (X[:cut], y[:cut]), [(X[part], y[part]) for part in rest]


def demo_tasks(*, n_mines: int = len(MINERS), seed: int = SEED) -> list[DemoTask]:
    """The demo's two campaigns: diabetes progression (regression), breast cancer (binary)."""
    from sklearn.datasets import load_breast_cancer, load_diabetes

    tasks = []
    diabetes = load_diabetes()
    names = [str(name) for name in diabetes.feature_names]
    validation, mines = _split(
        _standardize(diabetes.data), _standardize(diabetes.target[:, None])[:, 0], n_mines, seed
    )
    tasks.append(
        DemoTask(
            name="Diabetes progression (demo)",
            description="Predict disease progression one year after baseline from ten "
            "standardized measurements (scikit-learn's diabetes data).",
            algorithm="linear_regression",
            input_schema=[{"name": name, "type": "float"} for name in names],
            output_schema=[{"name": "progression", "type": "float"}],
            validation_csv=table_csv([*names, "progression"], *validation),
            mine_csvs=[table_csv([*names, "progression"], X, y) for X, y in mines],
            # Measured on these slices: R² climbs 0 → 0.29 → 0.34 → 0.366 → 0.38 in 4 rounds;
            # a step of 0.5 overshoots on these correlated columns and is never accepted.
            learning_rate=0.1,
            target_accuracy=0.37,
            bounty_minor=100_000,
        )
    )
    cancer = load_breast_cancer()
    names = [str(name).replace(" ", "_") for name in cancer.feature_names]
    validation, mines = _split(_standardize(cancer.data), cancer.target.astype(bool), n_mines, seed)
    tasks.append(
        DemoTask(
            name="Breast cancer diagnosis (demo)",
            description="Tell benign from malignant tumours from 30 standardized measurements "
            "of cell nuclei (scikit-learn's breast cancer data).",
            algorithm="logistic_regression",
            input_schema=[{"name": name, "type": "float"} for name in names],
            output_schema=[{"name": "benign", "type": "bool"}],
            validation_csv=table_csv([*names, "benign"], *validation),
            mine_csvs=[table_csv([*names, "benign"], X, y) for X, y in mines],
            # Accuracy 64% (everything benign) → 95% → 96.5% in two rounds.
            learning_rate=0.3,
            target_accuracy=0.96,
            bounty_minor=100_000,
        )
    )
    return tasks


# --- the command -------------------------------------------------------------------------------


def _money(amount_minor: int) -> str:
    return f"{settings.SONAR_CURRENCY} {money(amount_minor)}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


class Command(BaseCommand):
    help = (
        "Run the demo: a data scientist funds and launches two campaigns, three mines train "
        "them on their own data under Paillier encryption, and everyone gets paid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-new", action="store_true", help="Do nothing when the demo already ran."
        )
        parser.add_argument(
            "--rounds", type=int, default=8, help="At most this many rounds (default 8)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rounds"] < 1:
            raise CommandError("--rounds must be at least 1.")
        if options["if_new"] and User.objects.filter(username=SCIENTIST).exists():
            self.stdout.write("The demo already ran; its users are ready.")
            self._print_logins()
            return
        session = in_process_session()
        base_url = settings.SITE_URL
        scientist_user = self._user(SCIENTIST, DATA_SCIENTIST)
        scientist = self._client(base_url, scientist_user, session)
        # A fresh key per run: running the demo again credits the wallet again.
        scientist.wallet_deposit(
            settings.SONAR_DEMO_CREDIT_MINOR, idempotency_key=f"demo-credit-{uuid.uuid4()}"
        )
        tasks = demo_tasks()
        mines = self._mines(base_url, session, tasks)
        campaigns = [self._campaign_launch(scientist, task) for task in tasks]
        self._train(scientist, campaigns, mines, options["rounds"])
        self._report(scientist, campaigns, mines)
        self._print_logins()

    def _user(self, username: str, role: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_signup(
                username=username,
                email=f"{username}@demo.invalid",
                password=DEMO_PASSWORD,
                roles=[role],
            )
        return user

    def _client(self, base_url: str, user: User, session: requests.Session) -> SonarClient:
        return SonarClient(
            base_url,
            token=token_issue(user=user).key,
            session=session,
            allow_insecure_keys=settings.PAILLIER_ALLOW_INSECURE_KEYS,
        )

    def _mines(
        self, base_url: str, session: requests.Session, tasks: list[DemoTask]
    ) -> list[tuple[Mine, SonarClient]]:
        """Three miners, each with a mine holding its slice of both data sets."""
        mines = []
        for position, username in enumerate(MINERS):
            user = self._user(username, MINER)
            client = self._client(base_url, user, session)
            mine = Mine.objects.filter(owner=user, name=MINE_NAME).first()
            if mine is None:
                mine = mine_create(
                    owner=user, name=MINE_NAME, payout_account=client.wallet()["account"]
                )
            # Demo mines take every campaign and send exact gradients (no privacy noise).
            policy_update(mine=mine, auto_participate=True, max_contributions_per_campaign=1000)
            budget_set(mine=mine, epsilon_per_contribution=0, delta_per_contribution=0)
            for task in tasks:
                if Dataset.objects.filter(mine=mine, name=task.name).exists():
                    continue
                try:
                    dataset_import(
                        mine=mine,
                        name=task.name,
                        source=task.mine_csvs[position],
                        adapter="csv",
                        schema=task.input_schema,
                        output=task.output_schema,
                    )
                except ValidationError as exc:
                    raise CommandError(" ".join(exc.messages)) from exc
            mines.append((mine, client))
            self.stdout.write(f"Mine of {username}: {mine.datasets.count()} datasets imported.")
        return mines

    def _campaign_launch(self, scientist: SonarClient, task: DemoTask) -> dict:
        campaign = scientist.campaign_create(
            name=task.name,
            description=task.description,
            input_schema=task.input_schema,
            output_schema=task.output_schema,
            algorithm=task.algorithm,
            hyperparameters={"learning_rate": task.learning_rate, "fit_intercept": True},
            bounty_minor=task.bounty_minor,
            target_accuracy=task.target_accuracy,
        )
        scientist.validation_data_upload(campaign["id"], task.validation_csv)
        campaign = scientist.campaign_launch(campaign["id"])
        self.stdout.write(
            f"Launched '{task.name}' ({task.algorithm}), bounty {_money(task.bounty_minor)}, "
            f"target {_percent(task.target_accuracy)}; starting accuracy "
            f"{_percent(campaign.get('start_accuracy'))}."
        )
        return campaign

    def _train(
        self,
        scientist: SonarClient,
        campaigns: list[dict],
        mines: list[tuple[Mine, SonarClient]],
        rounds: int,
    ) -> None:
        """Each round, every mine makes one pass; stop when no campaign is open any more."""
        # Bars redraw in place on a terminal; in a log, one line per campaign and round reads
        # better than cursor movements.
        on_terminal = sys.stderr.isatty()
        bars = {
            campaign["id"]: tqdm(
                total=100,
                desc=campaign["name"][:32].ljust(32),
                bar_format="{desc} {bar} {n:.0f}% of target{postfix}",
                position=index,
                disable=not on_terminal,
            )
            for index, campaign in enumerate(campaigns)
        }
        try:
            for round_number in range(1, rounds + 1):
                # Each round a different mine goes first: the first gradient on a fresh model
                # tends to improve it most, and so to earn most.
                shift = (round_number - 1) % len(mines)
                for mine, client in mines[shift:] + mines[:shift]:
                    try:
                        mine_train_once(mine=mine, client=client)
                    except SonarError as exc:
                        # The pending gradient is kept and resent in the next round.
                        self.stderr.write(f"{mine.owner.username}: {exc.detail}")
                states = [scientist.campaign(campaign["id"]) for campaign in campaigns]
                for state in states:
                    progress = (state.get("best_accuracy") or 0) / state["target_accuracy"]
                    status = (
                        f"round {round_number}, v{state['current_version']}, accuracy "
                        f"{_percent(state.get('best_accuracy'))}, {state['status']}"
                    )
                    bar = bars[state["id"]]
                    bar.n = min(100.0, 100 * progress)
                    bar.set_postfix_str(status)
                    if not on_terminal:
                        self.stdout.write(f"{state['name']}: {status}")
                if all(state["status"] != "open" for state in states):
                    break
        finally:
            for bar in bars.values():
                bar.close()
        for campaign in campaigns:
            if scientist.campaign(campaign["id"])["status"] == "open":
                scientist.campaign_close(campaign["id"])

    def _report(
        self,
        scientist: SonarClient,
        campaigns: list[dict],
        mines: list[tuple[Mine, SonarClient]],
    ) -> None:
        self.stdout.write("")
        for campaign in campaigns:
            final = scientist.campaign(campaign["id"])
            gradients = scientist.gradients(campaign["id"])
            accepted = sum(1 for gradient in gradients if gradient["status"] == "accepted")
            self.stdout.write(
                f"{final['name']}: accuracy {_percent(final.get('start_accuracy'))} → "
                f"{_percent(final.get('best_accuracy'))} (target "
                f"{_percent(final['target_accuracy'])}), {final['status']}; {accepted} of "
                f"{len(gradients)} gradients accepted, {_money(final.get('spent_minor', 0))} "
                "paid out."
            )
            try:
                size = len(scientist.result_download(campaign["id"]))
                self.stdout.write(f"  final model delivered to {SCIENTIST}: {size:,} bytes.")
            except SonarError as exc:
                self.stdout.write(f"  final model not available yet: {exc.detail}")
        for mine, client in mines:
            wallet = client.wallet()
            self.stdout.write(
                f"{mine.owner.username}: earned {_money(mine_earnings(mine=mine).total_minor)}; "
                f"wallet balance {_money(wallet['balance_minor'])}."
            )
        self._ledger_verify()

    def _ledger_verify(self) -> None:
        out = io.StringIO()
        try:
            call_command("ledger_verify", stdout=out, stderr=out)
        except (CommandError, SystemExit) as exc:
            raise CommandError(
                f"The ledger does NOT verify: {out.getvalue().strip()} {exc}"
            ) from exc
        self.stdout.write(f"Ledger: {out.getvalue().strip()}")

    def _print_logins(self) -> None:
        login = settings.SITE_URL.rstrip("/") + "/accounts/login/"
        self.stdout.write(f"\nLog in at {login} with password '{DEMO_PASSWORD}' as:")
        self.stdout.write(f"  {SCIENTIST} (data scientist: campaigns, results, wallet)")
        for username in MINERS:
            self.stdout.write(f"  {username} (miner: mine, datasets, contributions, earnings)")
