"""`pitstop diagnostics` train, evaluate (also --replay), record and fleet-capture.

Heavy imports (scikit-learn, the simulator) happen inside the commands, so the CLI starts fast.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()

TRAIN_CARS = 150
TEST_CARS = 100
TRAIN_SEED = 1
TEST_SEED = 2


def _print_json(report: object) -> None:
    """The report on stdout alone: with --json, everything else goes to stderr."""
    typer.echo(json.dumps(report, default=str, indent=2))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console,
    )  # fmt: skip


def _lines(given: list[str] | None, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The model lines asked for (default: every line), each one known."""
    from simulators.physics import LINES

    lines = tuple(given or default or LINES)
    if unknown := [name for name in lines if name not in LINES]:
        raise typer.BadParameter(f"unknown model line {unknown[0]!r}; known: {', '.join(LINES)}")
    return lines


def _fleet(
    progress: Progress, what: str, cars: int, seed: int, workers: int, lines: tuple[str, ...]
):
    from diagnostics.lab import fleetdata

    specs = fleetdata.plan_fleet(cars, seed, lines=lines)
    named = ", ".join(lines)
    task = progress.add_task(f"simulating {what} fleet (seed {seed}; {named})", total=len(specs))
    return fleetdata.generate(specs, workers=workers, on_car=lambda: progress.advance(task))


def _train(progress: Progress, what: str, windows, seed: int) -> dict:
    from diagnostics.lab import training

    steps = progress.add_task(what, total=None)
    bundle = training.train(
        windows, seed=seed, progress=lambda s: progress.update(steps, description=s)
    )
    progress.update(steps, description="trained", total=1, completed=1)
    return bundle


def train_command(
    cars: int = typer.Option(TRAIN_CARS, help="Cars in the training fleet"),
    test_cars: int = typer.Option(TEST_CARS, help="Cars in the held-out fleet"),
    seed: int = typer.Option(TRAIN_SEED, help="Seed of the training fleet"),
    test_seed: int = typer.Option(TEST_SEED, help="Seed of the held-out fleet (must differ)"),
    workers: int = typer.Option(2, help="Simulation processes"),
    feedback: bool = typer.Option(True, help="Add work-order feedback labels as training rows"),
    activate: bool = typer.Option(True, help="Make the new version the one scoring uses"),
    line: Annotated[
        list[str] | None, typer.Option(help="Model line(s) to train on (repeatable; default: all)")
    ] = None,
    test_line: Annotated[
        list[str] | None, typer.Option(help="Model line(s) of the held-out fleet (default: --line)")
    ] = None,
) -> None:
    """Simulate labelled fleets, train, evaluate on held-out cars, store the model."""
    from core.db import connect
    from core.db.embedded import resolve_database_url
    from diagnostics import registry
    from diagnostics.lab import evaluation, training
    from diagnostics.lab.feedback import feedback_windows
    from diagnostics.learned.inputs import MODEL_NAME

    if seed == test_seed:
        raise typer.BadParameter("the held-out fleet needs its own seed: give --test-seed")
    lines = _lines(line)
    test_lines = _lines(test_line) if test_line else lines
    url = resolve_database_url()
    with _progress() as progress:
        windows = _fleet(progress, "training", cars, seed, workers, lines)
        extra = 0
        if feedback:
            with connect(url) as conn:
                fed = feedback_windows(conn, registry.read_labels(conn))
            if fed is not None:
                extra = len(fed.cars)
                windows = training.concat(windows, fed)
        bundle = _train(progress, "training", windows, seed)
        held_out = _fleet(progress, "held-out", test_cars, test_seed, workers, test_lines)
    report = training.evaluate(bundle, held_out, seed=test_seed)
    report["notes"] = [*report.get("notes", []), _lines_note(lines, test_lines)]
    params = {
        "train_seed": seed, "test_seed": test_seed, "modes": bundle["modes"],
        "thresholds": bundle["thresholds"], "anomaly_threshold": bundle["anomaly_threshold"],
        "inputs": len(bundle["input_names"]),
    }  # fmt: skip
    data = {
        "source": "simulators.car", "lines": list(lines), "test_lines": list(test_lines),
        "train_cars": cars, "train_rows": int(len(windows.X)),
        "feedback_cars": extra, "test_cars": test_cars,
    }  # fmt: skip
    with connect(url) as conn:
        version = registry.save_model(
            conn, name=MODEL_NAME, kind=training.MODEL_KIND, bundle=bundle,
            params=params, metrics=training.jsonable(report), training_data=data,
            activate=activate,
        )  # fmt: skip
        conn.commit()
    console.print(f"stored {MODEL_NAME} version {version}" + (" (active)" * activate))
    for line in evaluation.format_report(report):
        console.print(line, highlight=False)


def evaluate_command(
    version: int = typer.Option(None, help="Model version (default: the active one)"),
    cars: int = typer.Option(
        TEST_CARS, help="Cars in the held-out fleet; 0 prints the stored report"
    ),
    seed: int = typer.Option(None, help="Held-out seed (default: the model's test seed)"),
    workers: int = typer.Option(2, help="Simulation processes"),
    ai4i: bool = typer.Option(False, help="Also run the AI4I 2020 outside check"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
    replay: Annotated[
        Path | None, typer.Option(help="Score this recorded fleet (docs/replay.md)", dir_okay=False)
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="What each car of --replay really had", dir_okay=False)
    ] = None,
    learned: bool = typer.Option(
        True, help="With --replay or --soak-cars: score with the learned model too"
    ),
    line: Annotated[
        list[str] | None,
        typer.Option(help="Model line(s) of the held-out fleet (default: the model's own)"),
    ] = None,
    leave_one_line_out: bool = typer.Option(
        False, help="Per model line, train on the others and evaluate on it (no model needed)"
    ),
    soak_cars: int = typer.Option(
        0, min=0, help="Also drive this many healthy cars of every line through every detector"
    ),
    soak_days: float = typer.Option(30.0, min=1, max=365, help="Days each soak car is driven"),
    soak_climate: str = typer.Option(
        None,
        metavar="LOW:HIGH",
        help="The soak cars' mean outside temperatures, °C (default: each car draws 5 to 28)",
    ),
) -> None:
    """Print the evaluation report; the last line is a one-line summary."""
    console.file = sys.stderr if as_json else sys.stdout
    from core.db import connect
    from core.db.embedded import resolve_database_url
    from diagnostics import registry
    from diagnostics.lab import evaluation, training
    from diagnostics.learned.inputs import MODEL_NAME
    from simulators.physics import DEFAULT_LINE

    if replay is not None or truth is not None:
        if replay is None or truth is None:
            raise typer.BadParameter("give both: --replay CAPTURE --truth TRUTH")
        _evaluate_replay(replay, truth, version if learned else False, as_json)
        return
    if line:
        _lines(line)  # refused before any work
    if leave_one_line_out:
        _leave_one_line_out(cars or TEST_CARS, workers, as_json)
        return
    climate = _climate(soak_climate) if soak_climate else None
    if soak_cars and not learned:
        _soak(soak_cars, soak_days, workers, None, as_json, climate)
        return
    with connect(resolve_database_url()) as conn:
        try:
            record, bundle = registry.load_model(conn, MODEL_NAME, version)
        except registry.RegistryError as exc:
            raise typer.BadParameter(
                f"{exc}; run `pitstop diagnostics train` first, or add --no-learned to a soak"
            ) from None
    console.print(
        f"{record.name} version {record.version}, trained {record.created_at:%Y-%m-%d %H:%M}"
    )
    # models from before the lines were trained on the default line alone
    trained_on = tuple(record.training_data.get("lines") or (DEFAULT_LINE,))
    lines = _lines(line, trained_on)
    if cars == 0:
        report = record.metrics
    else:
        if seed is None:
            seed = record.params.get("test_seed", TEST_SEED)
        if seed == record.params.get("train_seed"):
            raise typer.BadParameter("that is the training seed: evaluate on another one")
        with _progress() as progress:
            held_out = _fleet(progress, "held-out", cars, seed, workers, lines)
        report = training.evaluate(bundle, held_out, seed=seed)
        report["notes"] = [*report.get("notes", []), _lines_note(trained_on, lines)]
    if ai4i:
        from diagnostics.lab import ai4i as ai4i_check

        for line in ai4i_check.format_report(ai4i_check.evaluate()):
            console.print(line, highlight=False)
    if as_json:
        _print_json(training.jsonable(report))
    for text in evaluation.format_report(_with_leads(report)):
        console.print(text, highlight=False)
    if soak_cars:
        model = (bundle, (record.name, record.version))
        _soak(soak_cars, soak_days, workers, model, as_json, climate)


def _climate(text: str) -> tuple[float, float]:
    """LOW:HIGH in °C, refused unless LOW <= HIGH and both are numbers."""
    try:
        low, high = (float(part) for part in text.split(":"))
    except ValueError:
        raise typer.BadParameter(
            f"--soak-climate {text!r}: give LOW:HIGH in °C, for example -25:0"
        ) from None
    if not -50 <= low <= high <= 50:
        raise typer.BadParameter(
            f"--soak-climate {text!r}: need -50 <= LOW <= HIGH <= 50 °C, for example -25:0"
        )
    return low, high


def _leave_one_line_out(test_cars: int, workers: int, as_json: bool) -> None:
    """Per model line: train on the other lines, evaluate on this one; then all folds pooled."""
    from diagnostics.lab import evaluation, training
    from simulators.physics import LINES

    folds = []
    for held in LINES:
        others = tuple(name for name in LINES if name != held)
        with _progress() as progress:
            windows = _fleet(progress, "training", TRAIN_CARS, TRAIN_SEED, workers, others)
            bundle = _train(progress, f"training without {held}", windows, TRAIN_SEED)
            held_out = _fleet(progress, "held-out", test_cars, TEST_SEED, workers, (held,))
        report = training.evaluate(bundle, held_out, seed=TEST_SEED)
        console.print(
            f"{held}, never seen in training: {evaluation.summary_line(report['summary'])}"
        )
        folds.append(report)
    pooled = evaluation.pool(folds)
    pooled["notes"] = [
        f"leave-one-line-out: {len(folds)} folds ({', '.join(LINES)}); each trained on "
        f"{TRAIN_CARS} cars of the other lines (seed {TRAIN_SEED}), tested on {test_cars} cars "
        f"of its own line (seed {TEST_SEED}); thresholds are each fold's own"
    ]
    if as_json:
        _print_json(training.jsonable(pooled))
    for text in evaluation.format_report(pooled):
        console.print(text, highlight=False)


def _soak(cars: int, days: float, workers: int, model, as_json: bool, climate=None) -> None:
    """Drive healthy cars of every line through every detector; print the alerts they open."""
    from diagnostics.lab import soak

    specs = soak.plan(cars, days, climate=climate)
    bundle, named = model if model else (None, ("", 0))
    with _progress() as progress:
        task = progress.add_task(f"healthy soak (seed {soak.SOAK_SEED})", total=len(specs))
        report = soak.soak(
            specs, bundle, named, workers=workers, on_car=lambda: progress.advance(task)
        )
    if as_json:
        _print_json(report)
    for text in soak.format_report(report):
        console.print(text, highlight=False, soft_wrap=True)


def _lines_note(trained: tuple[str, ...], tested: tuple[str, ...]) -> str:
    unseen = [name for name in tested if name not in trained]
    told = f"model lines: trained on {', '.join(trained)}; tested on {', '.join(tested)}"
    return told + (f" (never seen in training: {', '.join(unseen)})" if unseen else "")


def _with_leads(report: dict) -> dict:
    # A stored report keeps no per-car leads and has None for unknown figures.
    def num(v):
        return float("nan") if v is None else v

    modes = {
        m: {k: (num(v) if k != "leads" else v) for k, v in r.items()}
        for m, r in report["modes"].items()
    }
    summary = {k: num(v) for k, v in report["summary"].items()}
    return {**report, "modes": modes, "summary": summary}


def _evaluate_replay(capture_path: Path, truth_path: Path, version: int | bool | None, as_json):
    """Replay a capture on a scratch database with the chosen model (False: rules only)."""
    from core.db import connect
    from core.db.embedded import resolve_database_url
    from core.db.scratch import ScratchDatabaseError, scratch_database
    from diagnostics import registry
    from diagnostics.lab import replay
    from diagnostics.lab.capture import CaptureError, read_capture, read_truth
    from diagnostics.learned.inputs import MODEL_NAME

    try:
        truth = read_truth(truth_path)
        capture = read_capture(capture_path)
    except CaptureError as exc:
        raise typer.BadParameter(str(exc)) from None
    model = None
    if version is not False:
        try:
            with connect(resolve_database_url()) as conn:
                model = registry.load_model(conn, MODEL_NAME, version or None)
        except registry.RegistryError as exc:
            if version:
                raise typer.BadParameter(str(exc)) from None
    console.print(
        f"scoring with {model[0].name} version {model[0].version}, the rules and DTCs"
        if model else "scoring with the rules and DTCs only (no learned model)"
    )  # fmt: skip
    try:
        with scratch_database("replay") as url:
            if model is not None:
                record, bundle = model
                with connect(url) as conn:
                    registry.save_model(
                        conn, name=record.name, kind=record.kind, bundle=bundle,
                        params=record.params, metrics=record.metrics,
                        training_data=record.training_data,
                    )  # fmt: skip
                    conn.commit()
            with console.status(f"replaying {len(capture)} messages"):
                report = replay.judge(replay.replay(url, capture), truth)
    except ScratchDatabaseError as exc:
        raise typer.BadParameter(str(exc)) from None
    if as_json:
        _print_json(report)
    for line in replay.format_report(report):
        console.print(line, highlight=False, soft_wrap=True)


def record_command(
    out: Annotated[Path, typer.Option(help="Append the capture to this file (JSON lines)")],
    seconds: float = typer.Option(None, help="Stop after this long (default: at Ctrl-C)"),
) -> None:
    """Record the cars' live messages as a capture for `evaluate --replay` (docs/replay.md)."""
    from core.settings import get_settings
    from diagnostics.lab.recorder import Recorder

    mqtt_url = get_settings().mqtt_url
    if not mqtt_url:
        raise typer.BadParameter(
            "no broker configured: set PITSTOP_MQTT_URL (e.g. mqtt://127.0.0.1:1883)",
            param_hint="PITSTOP_MQTT_URL",
        )
    with out.open("a", encoding="utf-8") as file:
        recorder = Recorder(mqtt_url, file)
        signal.signal(signal.SIGTERM, lambda *_: recorder.stop())
        signal.signal(signal.SIGINT, lambda *_: recorder.stop())
        try:
            written = recorder.run(
                seconds, on_ready=lambda: console.print(f"recording to {out}; Ctrl-C stops")
            )
        except (ConnectionError, OSError) as exc:
            raise typer.BadParameter(str(exc)) from None
    console.print(f"recorded {written} messages to {out}")


def fleet_capture_command(
    out: Annotated[Path, typer.Option(help="Write the capture here (JSON lines)")],
    truth: Annotated[Path, typer.Option(help="Write the truth here (CSV)")],
    cars: int = typer.Option(40, min=1, help="Cars in the fleet"),
    seed: int = typer.Option(7, help="Seed of the fleet (the lab trains on 1 and tests on 2)"),
    read_every: float = typer.Option(10.0, min=0.5, max=60, help="Seconds between readings"),
    fault_share: float = typer.Option(0.6, min=0, max=1, help="Share of cars that develop a fault"),
    line: Annotated[
        list[str] | None, typer.Option(help="Model line(s) of the cars, in turn (repeatable)")
    ] = None,
    healthy_days: float = typer.Option(14.0, min=1, max=365, help="Days a healthy car is driven"),
) -> None:
    """Write a simulated fleet as a capture and its truth, for `evaluate --replay`."""
    from diagnostics.lab import fleetdata
    from diagnostics.lab.simcapture import write_fleet
    from simulators.physics import DEFAULT_LINE

    specs = fleetdata.plan_fleet(
        cars,
        seed,
        fault_share=fault_share,
        lines=_lines(line, (DEFAULT_LINE,)),
        healthy_days=healthy_days,
    )
    with _progress() as progress:
        task = progress.add_task(f"driving {cars} cars (seed {seed})", total=cars)
        written = write_fleet(specs, out, truth, read_every, lambda: progress.advance(task))
    faulty = sum(spec.fault is not None for spec in specs)
    console.print(
        f"wrote {written} messages to {out}, and {cars} cars ({faulty} faulty) to {truth}"
    )
