"""`rerec recommend`, `rerec chat` and `rerec serve`, parsed as every rerec command is: typed configs through
TRL's parser, `--config` a preset name or YAML file, every field a flag. The model's `rerec.json` supplies the
prepared folder and the prompt's facts settings that no flag set (`rerec.models.adopt`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rerec.serve.limits import k_problem, query_problem


@dataclass
class ChatArgs:
    """Who asks and how many items to list."""

    user: str | None = field(
        default=None, metadata={"help": "A user id of the prepared data (personalises retrieval)."}
    )
    k: int = field(default=10, metadata={"aliases": ["-k"], "help": "How many items to list (1-50)."})

    def __post_init__(self) -> None:
        if k_problem(self.k):
            raise ValueError(k_problem(self.k))


@dataclass
class RecommendArgs(ChatArgs):
    """One question; `rerec recommend "QUERY"` is `rerec recommend --query "QUERY"`."""

    query: str | None = field(default=None, metadata={"help": "What you are looking for, in your own words."})
    liked: str | None = field(default=None, metadata={"help": "Titles you liked, separated by ';'."})
    json: bool = field(default=False, metadata={"help": "Print the full answer as JSON."})

    def __post_init__(self) -> None:
        super().__post_init__()
        problem = query_problem(self.query) if self.query is not None else 'give a query: rerec recommend "..."'
        if problem:
            raise ValueError(problem)


def parse(command: str, argv: list[str]) -> tuple:
    """`(AssistantConfig, the command's own config)`. Unset, the model is the demo's trained one when it exists,
    `recommend` and `chat` load float32 weights (one request answers sooner), `serve` bfloat16 (batches)."""
    from rerec.models import adopt, read_settings
    from rerec.presets import given_fields, parse_config
    from rerec.serve.api import ServeConfig
    from rerec.serve.assistant import AssistantConfig
    from rerec.serve.console import default_model

    own = {"recommend": RecommendArgs, "chat": ChatArgs, "serve": ServeConfig}[command]
    query = "query" if command == "recommend" else None
    cfg, args = parse_config((AssistantConfig, own), command, argv, positional=query)
    given = given_fields(argv)
    if not given & {"model_name_or_path", "model"}:
        cfg = replace(cfg, model_name_or_path=default_model())
    if command != "serve" and "dtype" not in given:
        cfg = replace(cfg, dtype="float32")
    return adopt(cfg, read_settings(cfg.model_name_or_path), given), args


def recommend(argv: list[str]) -> int:
    from rerec.serve.assistant import Request
    from rerec.serve.console import recommend as answer

    cfg, args = parse("recommend", argv)
    liked = [t.strip() for t in (args.liked or "").split(";") if t.strip()]
    return answer(cfg, Request(args.query, args.user, liked, args.k), args.json)


def chat(argv: list[str]) -> int:
    from rerec.serve.console import chat as converse

    cfg, args = parse("chat", argv)
    return converse(cfg, args.user, args.k)


def serve(argv: list[str]) -> int:
    import uvicorn

    from rerec.serve.api import create_app
    from rerec.serve.assistant import Assistant
    from rerec.serve.transport import uvicorn_config

    cfg, server = parse("serve", argv)
    app = create_app(Assistant.load(cfg), server)
    address = f"http://{server.host}:{server.port}/"
    print(f"rerec serving on {address} (API docs at /docs; Host names answered: {server.hosts()})")
    uvicorn.Server(uvicorn_config(app, server.host, server.port, server.read_timeout_s)).run()
    return 0
