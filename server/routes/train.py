"""The training lab: GET /lab (the page) and WS /api/v1/train (live training runs).

Protocol of WS /api/v1/train (JSON text frames; every number finite, never NaN):

client -> server
    {"type": "start", "params": {...}}   start a run; params are model.train.TrainConfig's fields
                                         (task, gap, cells, steps, lr, optimizer, batch_size,
                                         hidden_size, clip_norm, forget_bias, w_rec,
                                         attractor_rate, noise, vary_gap, seed, report_every),
                                         each optional, defaults = the benchmark's settings
    {"type": "stop"}                     end the run early; its `done` frame follows

server -> client
    {"type": "started", "params": {...}, "seq_len": T, "chance": c, "max_seconds": s}
    {"type": "progress", "step", "steps", "elapsed_s", "cells": {cell: {
        "loss", "accuracy",              held-out probe batch at the full gap
        "train_loss", "train_accuracy",  means over the training steps since the last frame
        "grad_norm", "clipped_grad_norm",  parameter-gradient norm before / after clipping
        "grad_log10": [T],               log10 mean_b ‖∂ℓ_b/∂s_t‖ on the probe, t = 1 … T;
                                         s_t = h_t, and [h_t, c_t] for the LSTM; null where
                                         the gradient is exactly zero
        "diverged", "diverged_at"}}}     at step 0 (untrained), every `report_every` steps
                                         and at the last step
    {"type": "done", "summary": {"params", "steps_done", "stopped", "elapsed_s",
        "cells": {cell: {"accuracy", "loss", "diverged", "diverged_at",
                         "first_to_last_log10_start", "first_to_last_log10"}},
        "text"}}                         `stopped`: null (all steps), "stop", or "time" (cap)
    {"type": "error", "detail": "...", "errors": [...]?, "busy": true?}

A cell whose loss or gradient stops being finite reports "diverged": true and null numbers from
then on. One run per socket at a time; a `start` during a run is refused with an error frame.
At most `max_train_jobs` runs train at once in the process: a `start` beyond that gets an error
frame with "busy": true and the socket stays open, so the client may retry. Each run is capped
at `max_train_steps` steps and `max_train_seconds` seconds. Training runs in its own thread and
stops within one optimiser step of a `stop` or of the socket closing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, cast

import annotated_types
from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import from_json
from starlette.websockets import WebSocketDisconnect

from model.config import SEED_MAX, ConfigError
from model.tasks import TASKS
from model.train import (
    OPTIMIZERS,
    TRAIN_CELLS,
    Progress,
    TrainConfig,
    TrainResult,
    train,
    validate,
)
from server.errors import params_error
from server.jsonio import dumps
from server.routes.stream import accept_if_origin_allowed
from server.settings import Settings

router = APIRouter()
log = logging.getLogger("server.train")
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")
DEFAULTS = TrainConfig()
MAX_MESSAGE_CHARS = 10_000

CellName = Literal["rnn", "irnn", "lstm", "gru"]
TaskName = Literal["agreement", "adding"]
OptimizerName = Literal["adam", "rmsprop", "sgd"]


class TrainParams(BaseModel):
    """The `params` of a start message; defaults are the benchmark's settings."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    task: TaskName = cast(TaskName, DEFAULTS.task)
    gap: int = Field(DEFAULTS.gap, ge=0, le=1000)
    cells: list[CellName] = Field(
        [cast(CellName, cell) for cell in DEFAULTS.cells], min_length=1, max_length=4
    )
    steps: int = Field(DEFAULTS.steps, ge=1)
    batch_size: int = Field(DEFAULTS.batch_size, ge=1, le=512)
    hidden_size: int = Field(DEFAULTS.hidden_size, ge=1, le=256)
    lr: float = Field(DEFAULTS.lr, ge=1e-5, le=10)
    optimizer: OptimizerName = cast(OptimizerName, DEFAULTS.optimizer)
    clip_norm: float | None = Field(DEFAULTS.clip_norm, ge=1e-3, le=1e6)
    forget_bias: float = Field(DEFAULTS.forget_bias, ge=-100, le=100)
    w_rec: float | None = Field(DEFAULTS.w_rec, ge=-10, le=10)
    attractor_rate: float = Field(DEFAULTS.attractor_rate, ge=0, le=1)
    noise: float = Field(DEFAULTS.noise, ge=0, le=10)
    vary_gap: bool = DEFAULTS.vary_gap
    seed: int = Field(DEFAULTS.seed, ge=0, le=SEED_MAX)
    report_every: int = Field(DEFAULTS.report_every, ge=1)

    def to_config(self, max_steps: int) -> TrainConfig:
        values = self.model_dump()
        values["cells"] = tuple(values["cells"])
        return validate(TrainConfig(**values), max_steps=max_steps)


class TrainJobs:
    """The process's count of running training jobs, capped at `max_train_jobs`."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.running = 0
        self.threads: set[threading.Thread] = set()  # for tests: none outlives its job

    def acquire(self) -> bool:
        # Only the event loop's thread calls this, so the check and increment cannot interleave.
        if self.running >= self.cap:
            return False
        self.running += 1
        return True

    def release(self) -> None:
        self.running -= 1


def jobs_of(settings: Settings, state: Any) -> TrainJobs:
    """The app's TrainJobs, made on first use (app.state holds it, not this module)."""
    jobs = getattr(state, "train_jobs", None)
    if jobs is None:
        jobs = TrainJobs(settings.max_train_jobs)
        state.train_jobs = jobs
    return jobs


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def progress_frame(progress: Progress) -> dict[str, Any]:
    """A compact progress frame: four significant decimals are plenty for curves."""
    cells = {}
    for cell, record in progress.cells.items():
        row = record["grad_log10"]
        cells[cell] = {
            **{k: _round(record[k], 5) for k in ("loss", "train_loss", "grad_norm")},
            **{k: _round(record[k], 4) for k in ("accuracy", "train_accuracy")},
            "clipped_grad_norm": _round(record["clipped_grad_norm"], 5),
            "grad_log10": None if row is None else [_round(v, 3) for v in row],
            "diverged": record["diverged"],
            "diverged_at": record["diverged_at"],
        }
    return {
        "type": "progress",
        "step": progress.step,
        "steps": progress.steps,
        "elapsed_s": round(progress.elapsed_s, 3),
        "cells": cells,
    }


class TrainSession:
    """One socket: a receive loop and at most one training job at a time."""

    def __init__(self, websocket: WebSocket, settings: Settings, jobs: TrainJobs) -> None:
        self.websocket = websocket
        self.settings = settings
        self.jobs = jobs
        self.job: asyncio.Task[None] | None = None
        self.stop = threading.Event()
        self.send_lock = asyncio.Lock()

    async def run(self) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                await self.handle(message.get("text"))
        except WebSocketDisconnect:
            return
        finally:
            await self.end_job()

    async def end_job(self) -> None:
        """Ask the training thread to stop and wait until it has."""
        self.stop.set()
        if self.job is not None:
            await asyncio.gather(self.job, return_exceptions=True)

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.websocket.send_text(dumps(frame).decode())

    async def error(self, detail: str, **extra: Any) -> None:
        await self.send({"type": "error", "detail": detail, **extra})

    async def handle(self, text: str | None) -> None:
        if text is None:
            await self.error("send JSON text frames, not binary")
            return
        if len(text) > MAX_MESSAGE_CHARS:
            await self.error(f"message too large: send at most {MAX_MESSAGE_CHARS} characters")
            return
        try:
            message = from_json(text, allow_inf_nan=False)
        except ValueError as exc:
            await self.error(f"malformed JSON: {str(exc)[:200]}")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "stop":
            if self.job is None or self.job.done():
                await self.error("no training run in progress")
                return
            self.stop.set()  # the run's done frame follows within one optimiser step
            return
        if kind != "start":
            await self.error('send {"type": "start", "params": {...}} or {"type": "stop"}')
            return
        if self.job is not None and not self.job.done():
            await self.error("a training run is in progress: send stop first")
            return
        config = await self.parse(message.get("params", {}))
        if config is None:
            return
        if not self.jobs.acquire():
            runs = "1 run" if self.jobs.cap == 1 else f"{self.jobs.cap} runs"
            await self.error(
                f"the server is training {runs} already, its limit; try again in a minute",
                busy=True,
            )
            return
        self.stop = threading.Event()
        self.job = asyncio.create_task(self.run_job(config, self.stop))

    async def parse(self, params: Any) -> TrainConfig | None:
        """The run's config, or None after an error frame saying what to change."""
        try:
            request = TrainParams.model_validate(params)
            return request.to_config(self.settings.max_train_steps)
        except (ValidationError, ConfigError) as exc:
            detail, errors = params_error(exc)
            await self.error(detail, errors=errors)
        return None

    async def run_job(self, config: TrainConfig, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        frames: asyncio.Queue[dict[str, Any] | TrainResult | BaseException] = asyncio.Queue()

        def deliver(item: dict[str, Any] | TrainResult | BaseException) -> None:
            try:
                loop.call_soon_threadsafe(frames.put_nowait, item)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                stop.set()

        def work() -> None:
            try:
                result = train(
                    config,
                    on_progress=lambda p: deliver(progress_frame(p)),
                    should_stop=stop.is_set,
                    max_seconds=self.settings.max_train_seconds,
                )
                deliver(result)
            except Exception as exc:
                deliver(exc)

        thread = threading.Thread(target=work, name="train-job", daemon=True)
        self.jobs.threads.add(thread)
        try:
            task = config.task_()
            await self.send(
                {
                    "type": "started",
                    "params": config.to_params(),
                    "seq_len": task.seq_len,
                    "chance": task.chance,
                    "max_seconds": self.settings.max_train_seconds,
                }
            )
            thread.start()
            while True:
                item = await frames.get()
                if isinstance(item, TrainResult):
                    await self.send({"type": "done", "summary": item.to_dict()})
                    return
                if isinstance(item, BaseException):
                    log.error("training run failed", exc_info=item)
                    await self.error("internal error in the training run")
                    return
                await self.send(item)
        finally:
            stop.set()
            while thread.is_alive():  # within one optimiser step of the stop
                await asyncio.sleep(0.01)
            self.jobs.threads.discard(thread)
            self.jobs.release()


@router.websocket("/api/v1/train", name="train_ws")
async def train_ws(websocket: WebSocket) -> None:
    settings: Settings = websocket.app.state.settings
    if not await accept_if_origin_allowed(websocket, settings):
        return
    await TrainSession(websocket, settings, jobs_of(settings, websocket.app.state)).run()


JS_SAFE_INTEGER = 2**53 - 1  # Number.MAX_SAFE_INTEGER


def _box_number(value: float) -> str:
    """A bound as a number box's min/max writes it: 0.00001 and 1000000, not 1e-05 and 1e+06."""
    text = format(Decimal(repr(value)), "f")
    return text.removesuffix(".0")


def field_bounds(max_steps: int) -> dict[str, dict[str, str]]:
    """The lab form's number boxes' min and max: TrainParams' own bounds (steps' maximum from
    the settings), so the page checks a link against exactly what the server takes."""
    bounds: dict[str, dict[str, str]] = {}
    for name, info in TrainParams.model_fields.items():
        box = {}
        for rule in info.metadata:
            if isinstance(rule, annotated_types.Ge):
                box["min"] = _box_number(cast(float, rule.ge))
            elif isinstance(rule, annotated_types.Le) and cast(float, rule.le) <= JS_SAFE_INTEGER:
                # (a larger one, the seed's 2**63 - 1, is left to the server: a page's numbers
                # cannot hold it exactly, and "a whole number of at least 0" says enough)
                box["max"] = _box_number(cast(float, rule.le))
        if box:
            bounds[name] = box
    bounds["steps"]["max"] = str(max_steps)
    return bounds


@router.get("/lab", response_class=HTMLResponse, name="page_lab", include_in_schema=False)
def lab(request: Request) -> HTMLResponse:
    """The training lab: train rnn, irnn, lstm and gru side by side and watch the gradients."""
    settings: Settings = request.app.state.settings
    config = {
        "train_url": str(request.url_for("train_ws")),
        "defaults": {**asdict(DEFAULTS), "cells": list(DEFAULTS.cells)},
        # What a link may name: anything else falls back to the default, and the page says so.
        "choices": {"task": TASKS, "optimizer": OPTIMIZERS, "cells": TRAIN_CELLS},
        "limits": {
            "max_train_steps": settings.max_train_steps,
            "max_train_seconds": settings.max_train_seconds,
            "fields": field_bounds(settings.max_train_steps),
        },
    }
    context = {
        "active": "lab",
        "lab_url": str(request.url_for("page_lab")),
        "docs_url": request.app.docs_url or "/docs",
        "plotly_url": str(request.url_for("plotly_js")),
        "lab_config": config,
    }
    return TEMPLATES.TemplateResponse(request, "lab.html", context)
