"""``python -m bot``: the project's own jobs (serve, train, evaluate, bench, tickets, migrate, trainer)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import MODELS_DIR, PROJECT_ROOT, database_url

logger = logging.getLogger("bot")


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.storage import upgrade

    upgrade()
    print(f"database is up to date: {_safe_url()}")
    return 0


def _safe_url() -> str:
    url = database_url()
    return url.split("@", 1)[-1] if "@" in url else url


def cmd_train(args: argparse.Namespace) -> int:
    from bot.modeling import ensure_model, model_path, train

    if args.force or not model_path(MODELS_DIR).exists():
        path, seconds = train(MODELS_DIR)
        print(f"trained {path} in {seconds:.0f} s")
    else:
        path = ensure_model(MODELS_DIR)
        print(f"model is up to date: {path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot.modeling import ensure_model, quiet_env

    model = ensure_model(MODELS_DIR)
    out = Path(args.out)
    command = [sys.executable, "-m", "rasa", "test", "nlu", "--nlu", str(PROJECT_ROOT / "tests" / "heldout"), "--model", str(model), "--out", str(out)]
    subprocess.run(command, cwd=PROJECT_ROOT, env=quiet_env(), check=True)
    print(f"rasa test nlu on the held-out split: reports in {out}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import nlu

    results = nlu.run(MODELS_DIR, measure_training=not args.skip_training)
    print(nlu.format_report(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
        print(f"full results: {args.json}")
    return 0


def cmd_bench_chat(args: argparse.Namespace) -> int:
    from bot.bench import chat

    agent = (args.agent, args.agent_password) if args.agent else None
    results = chat.run(args.residents, args.url, args.rasa_url, agent, think=args.think, rounds=args.rounds)
    print(chat.table(results))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
        print(f"full results: {args.json}")
    return 1 if results["gateway"]["errors"] or results["rasa_rest"]["errors"] else 0


def cmd_tickets(args: argparse.Namespace) -> int:
    from bot.storage import session_scope, upgrade
    from bot.tickets.service import list_tickets, ticket_to_dict

    upgrade()
    with session_scope() as session:
        rows = [
            ticket_to_dict(t)
            for t in list_tickets(session, args.category, args.priority, args.status, args.overdue, args.limit)
        ]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['number']}  {row['category']:<9} {row['priority']:<3} {row['status']:<11} {row['contact_phone']:<12} {row['address']:<12} {row['description'][:40]}")
        print(f"{len(rows)} ticket(s)")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.processes import Stack, serving_model
    from bot.storage import upgrade

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    upgrade()
    logger.info("database ready: %s", _safe_url())
    model = serving_model(MODELS_DIR)
    logger.info("model: %s", model)
    stack = Stack(model, rasa_port=args.rasa_port, actions_port=args.actions_port, gateway_port=args.port)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        stack.start()
        logger.info("ready: Rasa REST channel http://localhost:%s/webhooks/rest/webhook, actions on %s", args.rasa_port, args.actions_port)
        logger.info("web gateway: residents http://localhost:%s/ , agents http://localhost:%s/agent", args.port, args.port)
        while not stopping:
            dead = [name for name, p in stack.processes.items() if p.poll() is not None]
            if dead:
                logger.error("process stopped unexpectedly: %s", ", ".join(dead))
                return 1
            time.sleep(0.5)
        logger.info("stopping…")
        return 0
    finally:
        stack.stop()


def cmd_agents(args: argparse.Namespace) -> int:
    import getpass

    from bot.gateway.agents import create_agent
    from bot.storage import session_scope, upgrade

    upgrade()
    password = getpass.getpass(f"password for {args.name}: ")
    if password != getpass.getpass("repeat the password: "):
        print("the passwords differ; no account created", file=sys.stderr)
        return 1
    try:
        with session_scope() as session:
            create_agent(session, args.name, password, role=args.role)
    except ValueError as error:
        print(f"no account created: {error}", file=sys.stderr)
        return 1
    page = "/trainer" if args.role == "trainer" else "/agent"
    print(f"{args.role} {args.name} created; log in at {page}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from bot.trainer.cli import add_trainer_parser

    parser = argparse.ArgumentParser(prog="python -m bot", description="锦华物业 intake assistant: the project's own jobs.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate the database, train the model if needed, run Rasa and the action server")
    serve.add_argument("--rasa-port", type=int, default=5005)
    serve.add_argument("--actions-port", type=int, default=5055)
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="web gateway port (env PORT, default 8000)")
    serve.set_defaults(func=cmd_serve)

    train = sub.add_parser("train", help="train the model into models/ when its data or config changed")
    train.add_argument("--force", action="store_true", help="train even when an up-to-date model exists")
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="rasa test nlu on the held-out split")
    evaluate.add_argument("--out", default="results/heldout")
    evaluate.set_defaults(func=cmd_evaluate)

    bench = sub.add_parser("bench", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="suite", required=True)
    bench_nlu = bench_sub.add_parser("nlu", help="accuracy on held-out and external sets, training time, parse latency, memory")
    bench_nlu.add_argument("--skip-training", action="store_true", help="do not time a full training run")
    bench_nlu.add_argument("--json", help="write all results (with mistakes) to this file")
    bench_nlu.set_defaults(func=cmd_bench)
    bench_chat = bench_sub.add_parser("chat", help="simulated residents over WebSockets: reply latency, throughput, emergency alert time, gateway overhead")
    bench_chat.add_argument("-n", "--residents", type=int, default=50, help="concurrent simulated residents (default 50)")
    bench_chat.add_argument("--url", help="an already running gateway; otherwise Rasa, actions and a gateway are started on free ports")
    bench_chat.add_argument("--rasa-url", default="http://127.0.0.1:5005", help="Rasa for the direct REST comparison (with --url)")
    bench_chat.add_argument("--agent", help="console account for the emergency timing (default: a new bench account in DATABASE_URL)")
    bench_chat.add_argument("--agent-password", default="", help="its password")
    bench_chat.add_argument("--think", type=float, default=3.0, help="mean seconds a resident pauses before each message (default 3; 0 = saturation test)")
    bench_chat.add_argument("--rounds", type=int, default=3, help="conversations per resident, the two paths alternating round by round (default 3)")
    bench_chat.add_argument("--json", help="write the results to this file")
    bench_chat.set_defaults(func=cmd_bench_chat)

    tickets = sub.add_parser("tickets", help="tickets")
    tickets_sub = tickets.add_subparsers(dest="action", required=True)
    listing = tickets_sub.add_parser("list", help="list tickets (phone numbers masked)")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--category", choices=("inquiry", "repair", "complaint", "emergency"))
    listing.add_argument("--priority")
    listing.add_argument("--status")
    listing.add_argument("--overdue", action="store_true")
    listing.add_argument("--limit", type=int, default=200)
    listing.set_defaults(func=cmd_tickets)

    agents = sub.add_parser("agents", help="console accounts")
    agents_sub = agents.add_subparsers(dest="action", required=True)
    create = agents_sub.add_parser("create", help="create a console account (prompts for the password)")
    create.add_argument("name")
    create.add_argument("--role", choices=("agent", "trainer"), default="agent", help="agent: the console at /agent; trainer: the trainer console at /trainer")
    create.set_defaults(func=cmd_agents)

    migrate = sub.add_parser("migrate", help="apply the database migrations")
    migrate.set_defaults(func=cmd_migrate)

    add_trainer_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
