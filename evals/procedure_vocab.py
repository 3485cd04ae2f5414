"""The world of the generated task traces (`procedure_data.py`): services and databases, two
environments, seven operations tasks over one shared tool vocabulary, the mistakes that make
a known-bad variant, transient errors, and how people ask for tasks and about them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Thing:
    name: str  # how it is usually called
    repo: str  # its name in tool arguments
    paraphrases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mutation:
    """One mistake: skip a step, swap it with the next, or give an argument a wrong value
    ("{other_env}": the other environment)."""

    kind: str  # skip | swap | arg
    tool: str
    error: str  # what the run reports when the mistake bites
    arg: str = ""
    value: str = ""


@dataclass(frozen=True, slots=True)
class Family:
    phrase: str  # "deploy {obj} to {env}", starting with verbs[0]
    verbs: tuple[str, ...]
    gerunds: tuple[str, ...]
    objects: tuple[str, ...]
    steps: tuple[tuple[str, dict[str, str]], ...]
    mutations: tuple[Mutation, ...]


SERVICES = ("web", "billing", "search", "payments", "docs", "notify")
DATABASES = ("orders", "users", "analytics")
OBJECTS = {
    "web": Thing("the web app", "web", ("the website", "the web frontend", "our web application")),
    "billing": Thing("the billing service", "billing", ("billing", "the invoicing backend")),
    "search": Thing("the search API", "search", ("search", "the search backend")),
    "payments": Thing("the payments worker", "payments", ("the payment processor", "payments")),
    "docs": Thing("the docs site", "docs", ("the documentation site", "the docs")),
    "notify": Thing("the notification service", "notifications", ("notifications", "the notifier")),
    "orders": Thing("the orders database", "orders-db", ("the orders DB", "the order store")),
    "users": Thing("the users database", "users-db", ("the user DB", "the accounts database")),
    "analytics": Thing("the analytics warehouse", "analytics-dw", ("the data warehouse",)),
}
ENVS = {
    "staging": ("staging", "the staging environment", "pre-production"),
    "production": ("production", "prod", "the live environment"),
}
HEALTH = ("http_check", {"url": "https://{env}.example.com/{repo}/health"})
ANNOUNCE = ("send_message", {"channel": "#ops", "text": "{repo} in {env}: done"})

FAMILIES = {
    "deploy": Family(
        "deploy {obj} to {env}",
        ("deploy", "ship", "roll out", "release"),
        ("deploying", "shipping", "rolling out", "releasing"),
        SERVICES,
        (
            ("git_checkout", {"repo": "{repo}", "ref": "main"}),
            ("run_tests", {"suite": "{repo}-unit"}),
            ("build_image", {"service": "{repo}", "tag": "{ver}"}),
            ("push_image", {"image": "registry.internal/{repo}:{ver}"}),
            ("kubectl_apply", {"manifest": "k8s/{repo}.yaml", "namespace": "{env}"}),
            HEALTH,
        ),
        (
            Mutation("skip", "run_tests", "health check failed: the new image crashes on start"),
            Mutation(
                "arg",
                "push_image",
                "ImagePullBackOff: tag latest not found",
                "image",
                "registry.internal/{repo}:latest",
            ),
            Mutation(
                "arg",
                "kubectl_apply",
                "health check failed: the new version is not running",
                "namespace",
                "{other_env}",
            ),
        ),
    ),
    "rollback": Family(
        "roll back {obj} in {env}",
        ("roll back", "revert", "downgrade"),
        ("rolling back", "reverting", "downgrading"),
        SERVICES,
        (
            ("read_logs", {"service": "{repo}", "since": "1h"}),
            ("kubectl_rollout_undo", {"deployment": "{repo}", "namespace": "{env}"}),
            HEALTH,
            ANNOUNCE,
        ),
        (
            Mutation(
                "arg",
                "kubectl_rollout_undo",
                "errors continued: the wrong namespace was rolled back",
                "namespace",
                "{other_env}",
            ),
            Mutation("swap", "kubectl_rollout_undo", "health check failed: rolled back too early"),
        ),
    ),
    "restart": Family(
        "restart {obj} in {env}",
        ("restart", "bounce", "reboot"),
        ("restarting", "bouncing", "rebooting"),
        SERVICES,
        (
            ("drain_traffic", {"service": "{repo}", "env": "{env}"}),
            ("restart_service", {"service": "{repo}", "env": "{env}"}),
            HEALTH,
            ("restore_traffic", {"service": "{repo}", "env": "{env}"}),
        ),
        (
            Mutation("skip", "drain_traffic", "users saw 502 errors during the restart"),
            Mutation("swap", "drain_traffic", "restarted while serving traffic: 502 errors"),
        ),
    ),
    "scale": Family(
        "scale up {obj} in {env}",
        ("scale up", "add capacity to", "add replicas to"),
        ("scaling up", "adding capacity to", "adding replicas to"),
        SERVICES,
        (
            ("read_metrics", {"service": "{repo}", "window": "15m"}),
            (
                "scale_deployment",
                {"deployment": "{repo}", "replicas": "{replicas}", "namespace": "{env}"},
            ),
            HEALTH,
            ANNOUNCE,
        ),
        (
            Mutation(
                "arg",
                "scale_deployment",
                "latency did not improve: the wrong cluster was scaled",
                "namespace",
                "{other_env}",
            ),
            Mutation("skip", "read_metrics", "quota exceeded: scaled past the node pool"),
        ),
    ),
    "rotate": Family(
        "rotate the credentials of {obj} in {env}",
        ("rotate the credentials of", "rotate the secrets of", "renew the keys of"),
        ("rotating the credentials of", "rotating the secrets of", "renewing the keys of"),
        SERVICES,
        (
            ("rotate_secret", {"name": "{repo}-api-key", "vault_path": "secret/{env}/{repo}"}),
            ("kubectl_apply", {"manifest": "k8s/{repo}-secret.yaml", "namespace": "{env}"}),
            ("restart_service", {"service": "{repo}", "env": "{env}"}),
            HEALTH,
        ),
        (
            Mutation(
                "skip", "restart_service", "401 Unauthorized: the service still has the old key"
            ),
            Mutation(
                "arg",
                "rotate_secret",
                "401 Unauthorized: the key was rotated somewhere else",
                "vault_path",
                "secret/{other_env}/{repo}",
            ),
        ),
    ),
    "restore": Family(
        "restore {obj} from a backup in {env}",
        ("restore", "recover"),
        ("restoring", "recovering"),
        DATABASES,
        (
            ("create_ticket", {"queue": "ops", "title": "restore {repo} in {env}"}),
            ("pause_writes", {"database": "{repo}", "env": "{env}"}),
            ("restore_database", {"database": "{repo}", "snapshot": "{date}"}),
            ("run_migrations", {"database": "{repo}", "env": "{env}"}),
            ("resume_writes", {"database": "{repo}", "env": "{env}"}),
        ),
        (
            Mutation("skip", "pause_writes", "restore aborted: writes during the restore broke it"),
            Mutation("swap", "restore_database", "migrations failed: the tables did not exist yet"),
        ),
    ),
    "migrate": Family(
        "migrate the schema of {obj} in {env}",
        ("migrate the schema of", "apply the migrations to", "upgrade the schema of"),
        ("migrating the schema of", "applying the migrations to", "upgrading the schema of"),
        DATABASES,
        (
            (
                "backup_database",
                {"database": "{repo}", "destination": "s3://backups/{repo}-{date}"},
            ),
            ("run_migrations", {"database": "{repo}", "env": "{env}"}),
            ("run_tests", {"suite": "{repo}-migration-check"}),
            ANNOUNCE,
        ),
        (
            Mutation(
                "skip", "backup_database", "migration broke half-way with no backup to go back to"
            ),
            Mutation(
                "arg",
                "run_migrations",
                "schema check failed: nothing changed here",
                "env",
                "{other_env}",
            ),
        ),
    ),
}

# What each tool prints when it works ({key}: its arguments, and n, secs, ms, sha).
OUTPUTS = {
    "git_checkout": "Switched to branch '{ref}'\nYour branch is up to date with 'origin/{ref}'.",
    "run_tests": "collected {n} items\n{n} passed, 2 skipped in {secs}s",
    "build_image": "Step 1/9 : FROM python:3.11-slim\nSuccessfully built {sha}\n"
    "Successfully tagged {service}:{tag}",
    "push_image": "The push refers to repository [{image}]\ndigest: sha256:{sha} size: 2417",
    "kubectl_apply": "deployment.apps/{namespace}-app configured\nservice/app unchanged",
    "http_check": "HTTP/1.1 200 OK ({ms} ms)",
    "read_logs": "{n} lines; 3 ERROR: upstream connect error or disconnect/reset before headers",
    "kubectl_rollout_undo": "deployment.apps/{deployment} rolled back",
    "send_message": "message posted to {channel}",
    "drain_traffic": "{service}: 0 active connections, out of the load balancer",
    "restart_service": "{service} restarted; 4/4 pods ready",
    "restore_traffic": "{service} back in the load balancer",
    "read_metrics": "p95 latency {ms} ms, CPU 92%, 6 replicas",
    "scale_deployment": "deployment.apps/{deployment} scaled to {replicas}",
    "rotate_secret": "version {n} of {name} written to {vault_path}",
    "create_ticket": "created OPS-{n}: {title}",
    "pause_writes": "{database}: writes paused, 0 open transactions",
    "restore_database": "restored {database} from snapshot {snapshot} in {secs}s",
    "run_migrations": "applied 3 migrations to {database}",
    "resume_writes": "{database}: writes resumed",
    "backup_database": "backup of {database} written to {destination} ({n} MB)",
}

TRANSIENT_ERRORS = (
    "503 Service Unavailable: the registry was down",
    "timed out waiting for the Kubernetes API",
    "vault is sealed",
    "429 Too Many Requests from the cloud API",
    "connection reset by the VPN gateway",
)
REQUEST_TEMPLATES = (
    "{task}",
    "Please {task}.",
    "Can you {task}?",
    "I need you to {task} today.",
    "{task} (ticket OPS-{ticket})",
    "Hey, could you {task} for me?",
    "Time to {task}.",
)
QUERY_TEMPLATES = (
    "How do I {task}?",
    "What are the steps to {task}?",
    "Remind me how to {task}.",
    "What's the process for {doing}?",
    "How should we go about {doing}?",
    "Walk me through {doing}.",
    "{doing} - what do I need to run?",
    "I have to {task}. What's the right way?",
)
