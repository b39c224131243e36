"""``python -m bot``: the project's own jobs (serve, train, evaluate, bench, tickets, migrate, trainer)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bot import settings
from bot.roles import ADMIN_ROLES, TRAINER_ROLES, Role
from bot.settings import DEFAULT_RASA_URL, MODELS_DIR, PROJECT_ROOT, database_url

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
    from bot.modeling import model_path, train
    from bot.serving import model_for_data

    if args.force or not model_path(MODELS_DIR).exists():
        path, seconds = train(MODELS_DIR)
        print(f"trained {path} in {seconds:.0f} s")
    else:
        path = model_for_data(MODELS_DIR)
        print(f"model is up to date: {path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot import rasa_commands
    from bot.serving import model_for_data

    model = model_for_data(MODELS_DIR)
    out = Path(args.out)
    rasa_commands.nlu_test(PROJECT_ROOT / "tests" / "heldout", model, out).run(check=True)
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
    try:
        results = chat.run(
            args.residents, args.url, args.rasa_url, agent, think=args.think, rounds=args.rounds,
            segments=args.segments, timings_dir=Path(args.timings_dir) if args.timings_dir else None, database=args.database,
        )
    except ValueError as error:
        print(f"bench chat: {error}", file=sys.stderr)
        return 2
    print(chat.table(results))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
        print(f"full results: {args.json}")
    return 1 if results["gateway"]["errors"] or results["rasa_rest"]["errors"] else 0


def _write_json(results: dict, target: str | None) -> None:
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(json.dumps(results, ensure_ascii=False, indent=2))
        print(f"full results: {target}")


def cmd_bench_cluster(args: argparse.Namespace) -> int:
    """``bench saturation|typhoon|crash|memory``: a cluster of our own on a private database and Redis prefix."""
    from bot.bench import crash, load, memory, saturation, typhoon
    from bot.processes import without_lock_store

    most = {"saturation": 2, "typhoon": 2, "memory": getattr(args, "rasa_servers", 1)}.get(args.suite)
    if args.suite == "crash":
        most = max(int(n) for n in args.rasa_servers.split(",") if n.strip())
    refusal = without_lock_store(int(most or 1), args.redis_url)
    if refusal:
        print(f"bench {args.suite}: {refusal} (give --redis-url)", file=sys.stderr)
        return 2
    database_url = args.database_url or (settings.database_url() if settings.database_url().startswith("postgresql") else None)
    options = {"database_url": database_url, "redis_url": args.redis_url, "keep": Path(args.keep).resolve() if args.keep else None}
    try:
        model = load.bench_model(args.model)
        if args.suite == "saturation":
            results = saturation.run(model, residents=args.residents, seconds=args.seconds, rounds=args.rounds, **options)
            report = saturation.table(results)
        elif args.suite == "typhoon":
            results = typhoon.run(model, residents=args.residents, arrival=args.arrival, think=args.think, **options)
            report = typhoon.table(results)
        elif args.suite == "crash":
            servers = [int(n) for n in args.rasa_servers.split(",") if n.strip()]
            results = crash.run(model, rasa_servers=servers, repeats=args.repeats, chatters=args.chatters, **options)
            report = crash.table(results)
        else:
            results = memory.run(model, rasa_servers=args.rasa_servers, gateways=args.gateways, **options)
            report = memory.table(results)
    except ValueError as error:
        print(f"bench {args.suite}: {error}", file=sys.stderr)
        return 2
    print(report)
    _write_json(results, args.json)
    if args.suite == "typhoon":
        return 1 if results["lost"] or results["duplicated"] else 0
    return 0


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
    """Migrate, pick the model, then become supervisord running Rasa, the actions and the gateway.

    supervisord takes this process's place (``exec``), so Ctrl-C and SIGTERM reach it directly: it
    stops the gateway first (which drains), then Rasa, then the action server. A child that crashes
    is restarted with back-off and the others stay up (:mod:`bot.supervision`)."""
    from bot.processes import Stack, without_lock_store
    from bot.serving import serving_model
    from bot.storage import get_engine, upgrade
    from bot.supervision import Supervision, for_stack

    run_dir = Path(args.run_dir).resolve()
    refusal = without_lock_store(args.rasa_servers, settings.redis_url())
    if refusal:
        print(f"serve: {refusal}", file=sys.stderr)
        return 2
    if Supervision((), run_dir).running():
        print(f"serve is already running on {run_dir}: stop it first, or give another --run-dir", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    upgrade()
    get_engine().dispose()  # nothing of this process's database connections outlives the exec
    logger.info("database ready: %s", _safe_url())
    if args.model:
        model = Path(args.model).resolve()
        if not model.is_file():
            print(f"no model at {model}", file=sys.stderr)
            return 2
    else:
        model = serving_model(MODELS_DIR)
    logger.info("model: %s", model)
    # Without --model, a Rasa server restarted later loads the registry's active model (a promotion
    # since this start included); with --model, always that file.
    stack = Stack(
        model, rasa_port=args.rasa_port, actions_port=args.actions_port, gateway_port=args.port, rasa_servers=args.rasa_servers,
        follow_registry=not args.model,
    )
    supervision = for_stack(stack, run_dir, Path(args.log_dir).resolve() if args.log_dir else None)
    config = supervision.write()
    for url in stack.rasa_urls:
        logger.info("Rasa REST channel %s/webhooks/rest/webhook once its model is loaded (30–60 s)", url)
    logger.info("action server on port %s%s", args.actions_port, "; Rasa's lock store in Redis" if stack.redis_url else "")
    logger.info("web gateway: residents http://localhost:%s/ , agents http://localhost:%s/agent , health /healthz", args.port, args.port)
    logger.info("supervised by supervisord (%s); control: %s status", config, supervision.control())
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    supervision.supervisord().exec()


def _desk(role: str) -> str:
    return "/trainer" if role in TRAINER_ROLES else "/agent (and /manager, /admin)" if role in ADMIN_ROLES else "/agent"


def cmd_agents(args: argparse.Namespace) -> int:
    """Accounts from the command line: the same functions (and rules, and audit trail) as the
    administration page /admin (bot.gateway.agents); the actor recorded is the command line."""
    import getpass

    from bot.gateway import agents
    from bot.storage import session_scope, upgrade

    upgrade()
    if args.action == "list":
        with session_scope() as session:
            rows = agents.accounts(session)
        for row in rows:
            state = "active" if row["active"] else "disabled"
            shown = f" ({row['display_name']})" if row["display_name"] else ""
            print(f"{row['role']:8} {state:8} {row['name']}{shown}")
        return 0
    password: str | None = None
    if args.action == "create" or (args.action == "password" and not args.generate):
        password = getpass.getpass(f"password for {args.name}: ")
        if password != getpass.getpass("repeat the password: "):
            print("the passwords differ; nothing changed", file=sys.stderr)
            return 1
    try:
        with session_scope() as session:
            if args.action == "create":
                assert password is not None
                served = _community_ids(session, args.community) if args.community else None  # None: the first community
                agents.create_agent(
                    session, args.name, password, role=args.role, display_name=args.display_name or "", communities=served, actor=agents.COMMAND_LINE
                )
                shown = f" (shown to residents as {args.display_name})" if args.display_name else ""
                print(f"{args.role} {args.name}{shown} created; log in at {_desk(args.role)}")
                return 0
            agent = agents.find_by_name(session, args.name)
            if agent is None:
                print(f"no account named {args.name}", file=sys.stderr)
                return 1
            if args.action == "disable":
                released = agents.disable(session, agent, agents.COMMAND_LINE)
                held = f", {len(released)} conversation(s) back in the queue" if released else ""
                print(f"{args.name} disabled; its sessions ended{held}" if released is not None else f"{args.name} was disabled already")
            elif args.action == "enable":
                changed = agents.enable(session, agent, agents.COMMAND_LINE)
                print(f"{args.name} enabled" if changed else f"{args.name} was active already")
            elif args.action == "role":
                changed = agents.change_role(session, agent, args.role, agents.COMMAND_LINE)
                print(f"{args.name} is now {args.role}" if changed else f"{args.name} was {args.role} already")
            else:  # password
                generated = agents.reset_password(session, agent, password, agents.COMMAND_LINE)
                print(f"one-time password for {args.name}: {generated}" if generated else f"password of {args.name} set; its sessions ended")
    except ValueError as error:  # AccountError, CommunityError
        print(f"nothing changed: {error}", file=sys.stderr)
        return 1
    return 0


def _community_ids(session, slugs: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    from bot import communities

    found = []
    for slug in slugs:
        record = communities.community_by_slug(session, slug)
        if record is None:
            raise communities.CommunityError(f"no community {slug!r} (python -m bot communities list)")
        found.append(record.id)
    return found


def cmd_communities(args: argparse.Namespace) -> int:
    """``communities list`` / ``load FILE…`` / ``serve AGENT SLUG…`` (README: "Setting up communities")."""
    from bot import communities
    from bot.storage import session_scope, upgrade

    upgrade()
    try:
        with session_scope() as session:
            if args.action == "list":
                for record in communities.list_communities(session):
                    answered = sum(1 for a in communities.topic_answers(session, record.id) if a.text)
                    agents = ", ".join(communities.agents_serving(session, record.id)) or "-"
                    print(f"{record.id}\t{record.slug}\t{record.name}\t{len(record.buildings)} buildings\t"
                          f"{answered}/{len(communities.TOPICS)} answers\tduty {record.duty_phone}\tagents: {agents}")
            elif args.action == "load":
                for path in args.files:
                    record = communities.load_community_file(session, Path(path), by=args.by)
                    print(f"{record.slug} ({record.name}) loaded from {path}; widget: /c/{record.slug}")
            else:
                from bot.gateway import agents as accounts

                agent = accounts.find_by_name(session, args.agent)
                if agent is None:
                    raise communities.CommunityError(f"没有这个账号：{args.agent}")
                accounts.serve(session, agent, _community_ids(session, args.slugs), accounts.COMMAND_LINE)  # recorded in the audit trail
                print(f"{args.agent} serves {', '.join(args.slugs) or 'no community'} ({communities.communities_served(session, args.agent)})")
    except (OSError, ValueError) as error:
        print(f"nothing changed: {error}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    from bot.trainer.cli import add_trainer_parser

    parser = argparse.ArgumentParser(prog="python -m bot", description="物业 intake assistant: the project's own jobs.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate the database, train the model if needed, run Rasa, the action server and the gateway, supervised")
    serve.add_argument("--rasa-port", type=int, default=5005, help="the first Rasa server's port (default 5005)")
    serve.add_argument(
        "--rasa-servers", type=int, default=1, choices=range(1, 17), metavar="N",
        help="Rasa servers on consecutive ports from --rasa-port, each conversation on one of them (needs REDIS_URL for Rasa's lock store when more than 1)",
    )
    serve.add_argument("--actions-port", type=int, default=5055)
    serve.add_argument("--port", type=int, default=settings.gateway_port(), help="web gateway port (env PORT, default 8000)")
    serve.add_argument("--model", help="run this model file instead of the registry's active one")
    serve.add_argument("--run-dir", default=str(settings.RUN_DIR), help="supervisord's config, log, pid file and control socket (default data/run)")
    serve.add_argument("--log-dir", help="one rotated log file per process here, instead of this terminal")
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
    bench_chat.add_argument("--rasa-url", default=DEFAULT_RASA_URL, help="Rasa for the direct REST comparison (with --url)")
    bench_chat.add_argument("--agent", help="console account for the emergency timing (default: a new bench account in DATABASE_URL)")
    bench_chat.add_argument("--agent-password", default="", help="its password")
    bench_chat.add_argument("--think", type=float, default=3.0, help="mean seconds a resident pauses before each message (default 3; 0 = saturation test)")
    bench_chat.add_argument("--rounds", type=int, default=3, help="conversations per resident, the two paths alternating round by round (default 3)")
    bench_chat.add_argument("--segments", action="store_true", help="split every turn into where its time went (gateway, network, Rasa's lock, NLU/policies, actions) on both paths")
    bench_chat.add_argument("--timings-dir", help="with --url and --segments: the WUYE_TIMINGS_DIR the running gateway and Rasa write to")
    bench_chat.add_argument("--database", help="without --url: a PostgreSQL URL; the stack runs on a fresh schema there (default: a temporary SQLite file)")
    bench_chat.add_argument("--json", help="write the results to this file")
    bench_chat.set_defaults(func=cmd_bench_chat)

    def cluster_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--model", help="the model file (default: the model for the current data, trained if missing)")
        parser.add_argument(
            "--database-url",
            help="PostgreSQL server for a schema of the run's own, dropped afterwards (default: DATABASE_URL when it is PostgreSQL, else a temporary SQLite file)",
        )
        parser.add_argument("--redis-url", default=settings.redis_url(), help="Redis for Rasa's lock store and the gateways (default REDIS_URL; a key prefix of the run's own)")
        parser.add_argument("--keep", help="keep the cluster's config and logs in this folder")
        parser.add_argument("--json", help="write the results to this file")
        parser.set_defaults(func=cmd_bench_cluster)

    saturation = bench_sub.add_parser("saturation", help="msg/s at saturation through the gateway with one and with two Rasa servers, side by side")
    saturation.add_argument("-n", "--residents", type=int, default=50, help="residents sending without pause (default 50)")
    saturation.add_argument("--seconds", type=float, default=60.0, help="length of each phase (default 60)")
    saturation.add_argument("--rounds", type=int, default=1, help="phases of each configuration, alternating (default 1)")
    cluster_options(saturation)
    typhoon = bench_sub.add_parser("typhoon", help="a burst on the cluster: emergency alert p99, reply p95, messages lost")
    typhoon.add_argument("-n", "--residents", type=int, default=300, help="residents arriving (default 300; every third an emergency)")
    typhoon.add_argument("--arrival", type=float, default=60.0, help="seconds over which they arrive (default 60)")
    typhoon.add_argument("--think", type=float, default=3.0, help="mean pause before each further message (default 3 s)")
    cluster_options(typhoon)
    crash = bench_sub.add_parser("crash", help="time from a Rasa crash (kill -9) to the bot answering again, with one and with two Rasa servers")
    crash.add_argument("--rasa-servers", default="1,2", help="configurations to measure, e.g. 1,2 (default)")
    crash.add_argument("--repeats", type=int, default=1, help="crashes per configuration (default 1)")
    crash.add_argument("--chatters", type=int, default=4, help="residents chatting meanwhile (default 4)")
    cluster_options(crash)
    memory = bench_sub.add_parser("memory", help="model size and resident memory (RSS, peak, PSS) of each Rasa, action server and gateway process")
    memory.add_argument("--rasa-servers", type=int, default=2, help="Rasa servers (default 2)")
    memory.add_argument("--gateways", type=int, default=1, help="gateways (default 1)")
    cluster_options(memory)

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

    agents = sub.add_parser("agents", help="console accounts (also on the administration page /admin)")
    agents_sub = agents.add_subparsers(dest="action", required=True)
    create = agents_sub.add_parser("create", help="create a console account (prompts for the password)")
    create.add_argument("name")
    create.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.AGENT.value,
        help="agent: the console at /agent; trainer: the trainer console at /trainer; manager: the console, the dashboard /manager and the administration /admin",
    )
    create.add_argument("--display-name", help="the name residents see when this agent serves them, e.g. 张明 (default: the login name)")
    create.add_argument("--community", action="append", metavar="SLUG", help="a community this account serves (repeat for several; default: the first community)")
    create.set_defaults(func=cmd_agents)
    agents_sub.add_parser("list", help="every account with its role and whether it is active").set_defaults(func=cmd_agents)
    for action, text in (("disable", "the account can no longer log in; its sessions end"), ("enable", "a disabled account may log in again")):
        command = agents_sub.add_parser(action, help=text)
        command.add_argument("name")
        command.set_defaults(func=cmd_agents)
    role = agents_sub.add_parser("role", help="give an account another role")
    role.add_argument("name")
    role.add_argument("role", choices=[r.value for r in Role])
    role.set_defaults(func=cmd_agents)
    password = agents_sub.add_parser("password", help="reset a password (prompts for it; its sessions end)")
    password.add_argument("name")
    password.add_argument("--generate", action="store_true", help="generate a one-time password and print it once instead")
    password.set_defaults(func=cmd_agents)

    comms = sub.add_parser("communities", help="the communities (小区) and their answers")
    comms_sub = comms.add_subparsers(dest="action", required=True)
    comms_sub.add_parser("list", help="every community: slug, name, answers, duty phone, agents").set_defaults(func=cmd_communities)
    load = comms_sub.add_parser("load", help="create or update communities from their files (docs/communities/*.yml)")
    load.add_argument("files", nargs="+")
    load.add_argument("--by", default="seed", help="who the audit trail names (default: seed)")
    load.set_defaults(func=cmd_communities)
    serve_c = comms_sub.add_parser("serve", help="set the communities an account serves (replaces the list)")
    serve_c.add_argument("agent")
    serve_c.add_argument("slugs", nargs="*")
    serve_c.set_defaults(func=cmd_communities)

    migrate = sub.add_parser("migrate", help="apply the database migrations")
    migrate.set_defaults(func=cmd_migrate)

    add_trainer_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
