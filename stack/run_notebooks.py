#!/usr/bin/env python3
"""Headless notebook runner for the course kit.

Executes notebooks in order through the real tslab kernel (one kernel per notebook, cwd = the
notebook's folder) with nbclient, and writes each executed copy plus an HTML rendering.

tslab never sends Jupyter `error` messages: a failing cell only has an execute_reply with
status `error` and its message as stderr stream text. So the runner judges cells by the reply
status, stops at the first failing cell, and afterwards rejects any stderr output at all
("no error output" is the acceptance rule).

Usage: python run_notebooks.py --out DIR [--repeat N] [--timeout S] NOTEBOOK...
Exit code: 0 when every notebook passed every round, 1 otherwise.
"""

from __future__ import annotations

import os

# Must be set before anything imports debugpy (pulled in through ipykernel).
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

import argparse
import asyncio
import queue
import re
import sys
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async
from nbconvert import HTMLExporter
from nbformat.v4 import new_output

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
SOURCE_HEAD_LINES = 6
TEXT_LIMIT = 4000


@dataclass
class Problem:
    """A failing cell or a cell that wrote to stderr."""

    index: int  # position in nb.cells, 0-based
    code_number: int  # 1-based among code cells
    source: str
    reason: str
    text: str = ""


@dataclass
class Result:
    path: Path
    ok: bool = True
    kernel_seconds: float = 0.0
    cells_seconds: float = 0.0
    total_seconds: float = 0.0
    executed: int = 0
    failure: Problem | None = None
    fatal: str = ""  # kernel could not start, etc.
    stderr_cells: list[Problem] = field(default_factory=list)


def clean(text: str) -> str:
    return ANSI.sub("", text)


def cell_stderr(cell: Any) -> str:
    """Concatenated stderr stream text of a cell (plus any real Jupyter error output)."""
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback") or [f"{out.get('ename')}: {out.get('evalue')}"]))
    return clean("".join(parts))


def code_number(nb: Any, index: int) -> int:
    return sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")


def head(source: str) -> str:
    lines = source.rstrip().splitlines()
    shown = lines[:SOURCE_HEAD_LINES]
    if len(lines) > SOURCE_HEAD_LINES:
        shown.append(f"... (+{len(lines) - SOURCE_HEAD_LINES} linhas)")
    return "\n".join(f"    | {line}" for line in shown)


INTERNAL_FRAME = re.compile(r"^\s+at .*(\(node:|\bnode:|/node_modules/tslab/)")


def indent(text: str) -> str:
    # Stack frames of Node internals and of tslab itself say nothing about the student's code.
    text = "\n".join(line for line in text.rstrip().splitlines() if not INTERNAL_FRAME.match(line))
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "\n... (saída truncada; veja o notebook executado)"
    return "\n".join(f"    {line}" for line in text.splitlines()) or "    (sem texto em stderr)"


class TslabClient(NotebookClient):
    """NotebookClient that keeps late output instead of dropping it.

    tslab reports an un-awaited rejected promise, an exception thrown in a timer or a late
    console.error *after* the cell went idle, tagged with that cell's request. Stock nbclient
    (0.11) only reads output of the cell currently running and silently drops the rest; here
    such messages are appended to the cell they belong to, so the stderr rule sees them.
    Overrides a private method: nbclient is pinned in requirements.lock.txt.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_cells: dict[str, int] = {}

    async def _async_poll_output_msg(self, parent_msg_id: str, cell: Any, cell_index: int) -> None:
        assert self.kc is not None
        self.request_cells[parent_msg_id] = cell_index
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return
            else:
                self.keep_late_output(msg, cell_index)

    def keep_late_output(self, msg: dict[str, Any], fallback_index: int) -> None:
        if msg["msg_type"] not in ("stream", "error"):
            return
        index = self.request_cells.get(msg["parent_header"].get("msg_id", ""), fallback_index)
        content = msg["content"]
        if msg["msg_type"] == "stream":
            output = new_output("stream", name=content.get("name", "stdout"), text=content.get("text", ""))
        else:
            output = new_output(
                "error",
                ename=content.get("ename", ""),
                evalue=content.get("evalue", ""),
                traceback=content.get("traceback", []),
            )
        self.nb.cells[index].setdefault("outputs", []).append(output)

    async def drain_late_output(self, seconds: float) -> None:
        """Collects output that arrives shortly after the last cell finished."""
        assert self.kc is not None
        deadline = time.monotonic() + seconds
        fallback = max(self.request_cells.values(), default=0)
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=left))
            except queue.Empty:
                return
            self.keep_late_output(msg, fallback)


async def execute(path: Path, nb: Any, args: argparse.Namespace) -> Result:
    result = Result(path=path)
    replies: dict[int, str] = {}

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        replies[cell_index] = execute_reply.get("content", {}).get("status", "")

    client = TslabClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        # We judge each reply ourselves: tslab's errors carry no ename/traceback.
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=on_cell_executed,
    )
    start = time.monotonic()
    try:
        async with client.async_setup_kernel():
            result.kernel_seconds = time.monotonic() - start
            # language_info lets the HTML rendering highlight TypeScript.
            assert client.kc is not None
            info = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
            if info is not None and "language_info" in info["content"]:
                nb.metadata["language_info"] = info["content"]["language_info"]
            cells_start = time.monotonic()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                number = code_number(nb, index)
                try:
                    await client.async_execute_cell(cell, index, execution_count=number)
                except CellTimeoutError:
                    result.failure = Problem(
                        index, number, cell.source, f"tempo esgotado ({args.timeout:g} s por célula)", cell_stderr(cell)
                    )
                    break
                except DeadKernelError:
                    result.failure = Problem(
                        index, number, cell.source, "o kernel morreu durante a célula", cell_stderr(cell)
                    )
                    break
                result.executed += 1
                status = replies.get(index, "")
                if status != "ok":
                    reason = "a célula falhou" if status == "error" else f"resposta do kernel: {status or 'nenhuma'}"
                    result.failure = Problem(index, number, cell.source, reason, cell_stderr(cell))
                    break
            if result.failure is None:
                await client.drain_late_output(args.grace)
            result.cells_seconds = time.monotonic() - cells_start
    except NoSuchKernel:
        result.fatal = (
            f"kernel '{args.kernel}' não encontrado (JUPYTER_PATH={os.environ.get('JUPYTER_PATH', '')}). "
            "Rode `npm run stack -- up` para instalar o ambiente Python e o kernel tslab."
        )
    except (RuntimeError, TimeoutError) as exc:
        result.fatal = f"o kernel '{args.kernel}' não iniciou: {exc}"
    result.total_seconds = time.monotonic() - start

    # "No error output" rule: any stderr anywhere fails the notebook, even if every reply was ok
    # (e.g. console.error, or a rejected promise that was not awaited, which tslab reports late).
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (result.failure is None or index != result.failure.index):
            text = cell_stderr(cell)
            if text.strip():
                result.stderr_cells.append(Problem(index, code_number(nb, index), cell.source, "saída em stderr", text))
    result.ok = not (result.fatal or result.failure or result.stderr_cells)
    return result


def write_outputs(nb: Any, out_dir: Path, stem: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out_dir / f"{stem}.ipynb"))
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    (out_dir / f"{stem}.html").write_text(body, encoding="utf-8")


def report(result: Result, label: str, total_cells: int) -> None:
    name = result.path.name
    if result.fatal:
        print(f"[FALHOU]{label} {name}: {result.fatal}", flush=True)
        return
    timing = (
        f"kernel {result.kernel_seconds:.1f} s, células {result.cells_seconds:.1f} s, "
        f"total {result.total_seconds:.1f} s"
    )
    status = "ok" if result.ok else "FALHOU"
    print(f"[{status}]{label} {name}: {result.executed}/{total_cells} células de código ({timing})", flush=True)
    if result.failure:
        f = result.failure
        print(f"  Erro em {name}, célula {f.index + 1} (célula de código nº {f.code_number}): {f.reason}", flush=True)
        print(f"  Código da célula:\n{head(f.source)}", flush=True)
        print(f"  Saída de erro (stderr):\n{indent(f.text)}", flush=True)
    for p in result.stderr_cells:
        print(
            f"  Saída de erro não permitida em {name}, célula {p.index + 1} (célula de código nº {p.code_number}):",
            flush=True,
        )
        print(f"  Código da célula:\n{head(p.source)}", flush=True)
        print(f"  stderr:\n{indent(p.text)}", flush=True)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> t.NoReturn:
        # Exit code contract is 0/1; argparse would use 2.
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: erro: {message}\n")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = Parser(
        description="Executa notebooks com o kernel tslab e grava cópias executadas e HTML.",
    )
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK", help="notebooks, na ordem de execução")
    parser.add_argument("--out", required=True, type=Path, help="pasta para os notebooks executados e o HTML")
    parser.add_argument("--repeat", type=int, default=1, help="quantas vezes executar a sequência (padrão: 1)")
    parser.add_argument("--timeout", type=float, default=600, help="limite por célula, em segundos (padrão: 600)")
    parser.add_argument(
        "--startup-timeout", type=float, default=120, help="limite para o kernel iniciar (padrão: 120 s)"
    )
    parser.add_argument("--kernel", default="tslab", help="nome do kernel (padrão: tslab)")
    parser.add_argument(
        "--grace",
        type=float,
        default=0.5,
        help="espera após a última célula para captar erros tardios, em segundos (padrão: 0.5)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat precisa ser 1 ou mais")
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error("notebook não encontrado: " + ", ".join(missing))
    stems = [p.stem for p in args.notebooks]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        parser.error("dois notebooks com o mesmo nome (as saídas se sobreporiam): " + ", ".join(dupes))
    return args


async def main_async(args: argparse.Namespace) -> int:
    runs = 0
    started = time.monotonic()
    for round_number in range(1, args.repeat + 1):
        for given_path in args.notebooks:
            path = given_path.resolve()
            label = f" (rodada {round_number}/{args.repeat})" if args.repeat > 1 else ""
            nb = nbformat.read(str(path), as_version=4)
            total_cells = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())
            result = await execute(path, nb, args)
            runs += 1
            try:
                if not result.fatal:  # nothing ran: keep whatever an earlier run wrote
                    write_outputs(nb, args.out, path.stem)
            except Exception as exc:  # the verdict matters more than the rendering
                print(f"  aviso: não consegui gravar a saída de {path.name}: {exc}", flush=True)
            report(result, label, total_cells)
            if not result.ok:
                where = "" if result.fatal else f" Notebook executado e HTML em {args.out}/."
                print(
                    f"Execução interrompida em {path.name} após {time.monotonic() - started:.1f} s.{where}", flush=True
                )
                return 1
    print(
        f"Todos os notebooks passaram: {runs} {'execução' if runs == 1 else 'execuções'} em {time.monotonic() - started:.1f} s. Saídas em {args.out}/.",
        flush=True,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
