"""`rerec recommend` and `rerec chat`: the assistant in a terminal, readable by default, JSON on request."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rerec.serve.assistant import Assistant, AssistantConfig, Request, RequestError, Response
from rerec.serve.dialogue import Dialogue

TRAINED_DEFAULT = "runs/cpu-demo/final"
MARKS = {"true": ("✓", "green"), "false": ("✗", "red"), "unknown": ("?", "dim")}


def default_model() -> str:
    """The model `rerec demo` trained when it exists here, else the embedded base model."""
    return TRAINED_DEFAULT if (Path(TRAINED_DEFAULT) / "config.json").exists() else "smollm2-135m-instruct"


def show(response: Response, console: Console) -> None:
    for warning in response.warnings:
        console.print(f"[yellow]⚠ {warning}[/yellow]")
    table = Table(show_header=True, header_style="bold", box=None)
    for name, justify in (("#", "right"), ("title", "left"), ("score", "right"), ("from", "left")):
        table.add_column(name, justify=justify)
    for rank, item in enumerate(response.items, start=1):
        by = ", ".join(item["by"]) + (" [red](✗ refuted by the graph)[/red]" if item.get("refuted") else "")
        table.add_row(str(rank), item["title"], f"{item['score']:.3f}", by)
    console.print(table)
    if response.steps:
        console.print("[bold]reasoning[/bold] (checked against the knowledge graph)")
    for step in response.steps:
        mark, colour = MARKS[step["verdict"]]
        line = Text(f"  {mark} ", style=colour)
        line.append(step["text"])
        console.print(line)
    t = response.timings
    timing = f"{t['tokens']:.0f} tokens, retrieval {t['retrieval_s']:.2f} s, generation {t['generation_s']:.2f} s"
    console.print(f"[dim]{timing}[/dim]")


def quiet_loading() -> None:
    """A terminal answer shows the answer: not sentence-transformers' INFO line nor Transformers' weight-loading
    bars (the spinner already says what is loading). `-v` keeps rerec's own debug logs."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)


def recommend(cfg: AssistantConfig, request: Request, as_json: bool) -> int:
    quiet_loading()
    console = Console(stderr=as_json)
    with console.status(f"loading {cfg.model_name_or_path} and {cfg.prepared}"):
        assistant = Assistant.load(cfg)
    try:
        with console.status("thinking"):
            response = assistant.answer(request)
    except RequestError as err:
        console.print(f"[red]error:[/red] {err}")
        return 2
    if as_json:
        print(json.dumps(response.as_dict(), indent=2, ensure_ascii=False))  # noqa: T201 (the command's output)
    else:
        show(response, console)
    return 0


def chat(cfg: AssistantConfig, user_id: str | None, k: int) -> int:
    """A terminal conversation; follow-ups refine the previous answer (see `serve.dialogue`)."""
    quiet_loading()
    console = Console()
    with console.status(f"loading {cfg.model_name_or_path} and {cfg.prepared}"):
        assistant = Assistant.load(cfg)
    dialogue = Dialogue(user_id=user_id, k=k)
    console.print(
        "[bold]rerec chat[/bold] — ask for movies; follow up with 'not that one', 'older', 'none of these', "
        "'not <title>' or more wishes. Empty line or Ctrl-D ends."
    )
    while True:
        try:
            text = console.input("[bold cyan]you>[/bold cyan] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not text:
            break
        request = dialogue.next_request(text, assistant.index.ground)
        try:
            with console.status("thinking"):
                response = assistant.answer(request)
        except RequestError as err:
            console.print(f"[red]error:[/red] {err}")
            continue
        dialogue.record(text, response)
        show(response, console)
    return 0
