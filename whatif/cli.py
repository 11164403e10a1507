"""The ``whatif`` command.

    whatif run SCENARIO.yaml [--samples N] [--seed S] [--set name=value ...] [--json]
                             [--samples-out FILE.csv|.parquet|.xlsx]   (every sample's row)
    whatif solve SCENARIO.yaml --objective capacity_loss --at-least 0.5 --confidence 0.8 [--json]
    whatif tornado SCENARIO.yaml [--output drones_denied] [--json]
    whatif sobol SCENARIO.yaml [--output drones_denied] [--samples 1024] [--json]
    whatif sensitivity SCENARIO.yaml [--output drones_denied] [--json]   (tornado + Sobol)
    whatif explain SCENARIO.yaml --missiles 30 --objective capacity_loss --at-least 0.5
    whatif explain SCENARIO.yaml --working [--missiles N] [--set ...] [--json]   (the steps)
    whatif calibrate [SCENARIO.yaml] [--production-from 2024-01] [--defeat-from 2025-01] [--json]
    whatif record update DAILY.csv [--write-defaults] [--json]
    whatif backtest [--path trend|target|all] [--horizons 1,2,3] [--samples N] [--seed S] [--json]
    whatif explore SCENARIO.yaml --futures N [--levers missiles=10:100,restrikes=0:3]
        [--policies L] [--samples S] [--seed K] [--out results.parquet] [--scheduler ADDRESS]
    whatif discover results.parquet --output capacity_loss --at-least 0.5 [--json]
    whatif params [--json]
    whatif scenarios [--json]
    whatif brief SCENARIO.yaml -o brief.html [--samples N] [--seed S] [--notebook out.ipynb]
    whatif brief SCENARIO.yaml -o brief.html --interactive [--controls a,b,c] [--levels K]
    whatif app [SCENARIO.yaml] [--port P]

SCENARIO.yaml is a scenario file or the name of a bundled scenario (``whatif run baseline``);
``whatif scenarios`` lists them. ``$WHATIF_DATA_DIR`` replaces the bundled data
(:mod:`whatif.resources`).

Bad input (a missing or malformed scenario file, an unknown parameter, a value out of
range or of the wrong type) exits with code 2 and one line on stderr naming the
parameter, its unit and the allowed range. Hostile input (YAML aliases, deep nesting,
huge numbers or files, devices, excessive samples) is refused before it is expanded,
naming the limit (see :mod:`whatif.inputs` and the work limits in :mod:`whatif.engine`).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from whatif.engine import (
    MAX_SALVO,
    _check_samples,
    check_solve_work,
    missiles_needed,
    simulate,
    warm_up,
)
from whatif.errors import ParameterError, ScenarioError, WhatifError, escape_controls, show
from whatif.formatting import explain_lines, format_value
from whatif.inputs import check_writable, load_yaml
from whatif.outputs import OBJECTIVES, OUTPUTS
from whatif.params import REGISTRY, Assumption
from whatif.presentation import output_label
from whatif.resources import bundled_scenarios, kernel_environment, notebook, scenario_path
from whatif.scenario import Scenario
from whatif.sensitivity import explain, sobol, tornado

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        raise WhatifError(f"{message} (see `{self.prog} --help`)")


SCENARIO_HELP = "scenario YAML file, or the name of a bundled one (see `whatif scenarios`)"
RECORD_UPDATE_HELP = (
    "Re-derive historical/uav_launches_monthly.csv of the data folder in use "
    "($WHATIF_DATA_DIR or the bundled data) from a newer copy of the daily record, refit "
    "production_now and defeat_rate, and print the old and new fits side by side. A copy that "
    "is malformed or covers less than the held record changes nothing (exit 2).")
WRITE_DEFAULTS_HELP = (
    "also rewrite the production_now and defeat_rate rows of the data folder's "
    "assumptions.csv: central = the new fitted value (rounded: production_now to a whole "
    "number, defeat_rate to 2 decimals); low/high widened (rounded outwards) to the fit's "
    "90%% interval where it lies outside them, never narrowed; source_date = the record's "
    "last day. Every other byte of the file is kept. Without this flag assumptions.csv is "
    "not touched")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="whatif",
                     description="How many missiles would it take, and what would it buy?")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def scenario_args(p: argparse.ArgumentParser, samples: int) -> None:
        p.add_argument("scenario", help=SCENARIO_HELP)
        p.add_argument("--samples", type=int, default=samples,
                       help=f"Monte Carlo samples; 0 = deterministic (default {samples})")
        p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                       help="override an assumption, e.g. --set missiles=60 or "
                            "--set 'repair_days={low: 30, mode: 60, high: 365, dist: pert}'")
        p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    run = sub.add_parser("run", help="simulate a scenario and print the summary")
    scenario_args(run, 10_000)
    run.add_argument("--samples-out", default=None, metavar="FILE",
                     help="also write every sample (its inputs and outputs, one row each) to "
                          "FILE; the format follows the extension: .csv, .parquet or .xlsx")
    solve = sub.add_parser("solve", help="missiles needed for an objective at a confidence")
    scenario_args(solve, 10_000)
    solve.add_argument("--objective", default="capacity_loss",
                       help=f"one of {', '.join(OBJECTIVES)}")
    solve.add_argument("--at-least", type=float, required=True, help="objective threshold")
    solve.add_argument("--confidence", type=float, default=0.8, help="required probability (0-1]")
    solve.add_argument("--max-missiles", type=int, default=300,
                       help="largest salvo tried (default 300)")
    def analysis(name: str, help_text: str, samples: int | None = None,
                 samples_help: str = "") -> argparse.ArgumentParser:
        """A subcommand on a scenario, with --set and --json (and --samples/--seed)."""
        p = sub.add_parser(name, help=help_text)
        p.add_argument("scenario", help=SCENARIO_HELP)
        if samples is not None:
            p.add_argument("--samples", type=int, default=samples, help=samples_help)
            p.add_argument("--seed", type=int, default=0)
        p.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="NAME=VALUE")
        p.add_argument("--json", action="store_true")
        return p

    output_help = f"one of {', '.join(OUTPUTS)}"
    torn = analysis("tornado", "one-at-a-time sensitivity of an output")
    torn.add_argument("--output", default="drones_denied", help=output_help)
    brief = sub.add_parser("brief", help="write a self-contained HTML brief of a scenario")
    brief.add_argument("scenario", help=SCENARIO_HELP)
    brief.add_argument("-o", "--output", required=True, help="the HTML file to write")
    brief.add_argument("--samples", type=int, default=None,
                       help="Monte Carlo samples (0 = deterministic; default 10000, "
                            "with --interactive 2000 per combination)")
    brief.add_argument("--seed", type=int, default=0)
    brief.add_argument("--notebook", default=None, help="also keep the executed notebook here")
    brief.add_argument("--interactive", action="store_true",
                       help="write the interactive brief: controls a reader can move, every "
                            "combination precomputed (see `whatif.interactive`)")
    brief.add_argument("--controls", default=None, metavar="A,B,C",
                       help="with --interactive: the live assumptions (default: the three "
                            "that move drones denied most in the tornado); the salvo size is "
                            "live too")
    brief.add_argument("--levels", type=int, default=None,
                       help="with --interactive: levels per live assumption (default 7)")
    sob = analysis("sobol", "Sobol indices of an output over the uncertain assumptions", 1024,
                   "base sample size, a power of 2")
    sob.add_argument("--output", default="drones_denied", help=output_help)
    sens = analysis("sensitivity", "tornado and Sobol indices of an output", 1024,
                    "Sobol base sample size (power of 2)")
    sens.add_argument("--output", default="drones_denied", help=output_help)
    expl = analysis("explain", "what must hold for a salvo to reach a goal", 10_000,
                    "for the Monte Carlo check")
    expl.add_argument("--missiles", type=int, default=None,
                      help="missiles per salvo (default 30; with --working the scenario's)")
    expl.add_argument("--working", action="store_true",
                      help="show how each headline figure is reached, step by step, at the "
                           "scenario's central values (the expected-value chain; --samples "
                           "gives the headline's P50 beside it, 0 for none)")
    expl.add_argument("--objective", default="capacity_loss",
                      help=f"one of {', '.join(OBJECTIVES)}")
    expl.add_argument("--at-least", type=float, default=0.5, help="objective threshold")
    expl.add_argument("--confidence", type=float, default=0.8, help="required probability (0-1]")
    cal = sub.add_parser("calibrate", help="fit production_now and defeat_rate to the launch "
                                           "record and compare a scenario with the fits")
    cal.add_argument("scenario", nargs="?",
                     help="scenario YAML or bundled name to compare (default: the defaults)")
    cal.add_argument("--production-from", default="2024-01", metavar="YYYY-MM",
                     help="first month of the production fit (default 2024-01)")
    cal.add_argument("--defeat-from", default=None, metavar="YYYY-MM",
                     help="first month of the defeat-rate fit (default: the record's last "
                          "twelve months, 2025-01 for the 2022-25 record)")
    cal.add_argument("--json", action="store_true")
    record = sub.add_parser("record", help="the launch record: `whatif record update DAILY.csv`")
    record_commands = record.add_subparsers(dest="record_command", required=True,
                                            parser_class=_Parser)
    update = record_commands.add_parser(
        "update", help="refresh the monthly record from a newer copy of the daily record",
        description=RECORD_UPDATE_HELP)
    update.add_argument("daily", metavar="DAILY.csv",
                        help="a newer copy of the Air Force daily record (Ivaniuk's Kaggle CSV, "
                             "at most 64 MiB)")
    update.add_argument("--write-defaults", action="store_true", help=WRITE_DEFAULTS_HELP)
    update.add_argument("--json", action="store_true", help="print JSON instead of a table")
    back = sub.add_parser("backtest", help="rolling-origin backtest of the production paths "
                                           "and the defeat rate on the launch record")
    back.add_argument("--path", default="all", choices=("trend", "target", "all"),
                      help="production path to backtest (default all)")
    back.add_argument("--horizons", default="1,2,3", metavar="H[,H...]",
                      help="months ahead, whole numbers 1 to 12 (default 1,2,3)")
    back.add_argument("--samples", type=int, default=4_000,
                      help="draws per origin, 100 to 20,000 (default 4000)")
    back.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    back.add_argument("--json", action="store_true")
    plan = sub.add_parser("plan", help="strike plans: `whatif plan optimise SCENARIO --missiles N`")
    plan_commands = plan.add_subparsers(dest="plan_command", required=True,
                                        parser_class=_Parser)
    opt = plan_commands.add_parser(
        "optimise", help="the best split of N missiles over the scenario's sites (and days)",
        description="Search the plans that fire N missiles in K salvos (days on a weekly grid, "
                    "within the horizon and the scenario's inventory) for the one that "
                    "maximises the objective's mean, or with --at-least the chance of "
                    "reaching it. Plans are compared on the same random draws.")
    opt.add_argument("scenario", help=SCENARIO_HELP)
    opt.add_argument("--missiles", type=int, required=True, help="missiles the plan fires")
    opt.add_argument("--salvos", type=int, default=1, help="salvos (default 1)")
    opt.add_argument("--objective", default="capacity_loss",
                     help=f"one of {', '.join(OBJECTIVES)} (default capacity_loss)")
    opt.add_argument("--at-least", type=float, default=None,
                     help="maximise the chance that the objective reaches this")
    opt.add_argument("--confidence", type=float, default=None,
                     help="with --at-least: report whether the best plan reaches it with this "
                          "probability (0-1]")
    opt.add_argument("--samples", type=int, default=2_000,
                     help="Monte Carlo samples per plan; 0 = deterministic (default 2000)")
    opt.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    opt.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="NAME=VALUE", help="override an assumption")
    opt.add_argument("--json", action="store_true", help="print JSON instead of text")
    explore = sub.add_parser(
        "explore", help="run an ensemble of futures (Latin hypercube) into a Parquet file",
        description="Draw a Latin hypercube over the range of every uncertain assumption "
                    "(the futures) and over the levers (the policies); run every future under "
                    "every policy at S samples and keep each output's mean, P10, P50 and P90. "
                    "Chunks run on Dask (an embedded local cluster unless --scheduler names "
                    "one) and are kept as they finish: stopped and started again with the "
                    "same arguments, it computes only the missing chunks.")
    explore.add_argument("scenario", help=SCENARIO_HELP)
    explore.add_argument("--futures", type=int, required=True,
                         help="points of the Latin hypercube over the uncertain assumptions")
    explore.add_argument("--levers", default=None, metavar="NAME=LOW:HIGH,...",
                         help="assumptions the planner sets, e.g. missiles=10:100,restrikes=0:3")
    explore.add_argument("--policies", type=int, default=None,
                         help="lever settings (a Latin hypercube over the levers; default 8 "
                              "with --levers, else 1)")
    explore.add_argument("--samples", type=int, default=1_000,
                         help="Monte Carlo samples per experiment (default 1000)")
    explore.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    explore.add_argument("--out", default="explore.parquet",
                         help="the result file (default explore.parquet)")
    explore.add_argument("--scheduler", default="local",
                         help="local (an embedded Dask cluster, the default), inprocess (no "
                              "Dask) or a running scheduler's address, e.g. tcp://host:8786")
    explore.add_argument("--workers", type=int, default=None,
                         help="worker threads of the local cluster (default one per core, "
                              "each running the model on its share of the cores)")
    explore.add_argument("--overwrite", action="store_true",
                         help="replace --out if it holds another result")
    explore.add_argument("--quiet", action="store_true", help="no progress bar")
    explore.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="NAME=VALUE", help="override an assumption")
    explore.add_argument("--json", action="store_true", help="print JSON instead of text")
    discover = sub.add_parser(
        "discover", help="scenario discovery on an explore result: when does it work?",
        description="PRIM boxes (coverage, density, the assumptions they restrict), CART "
                    "boxes, feature scores, and robustness across the levers, for the goal "
                    "OUTPUT >= --at-least (or <= --at-most).")
    discover.add_argument("results", help="a Parquet file written by `whatif explore`")
    discover.add_argument("--output", default="capacity_loss",
                          help=f"one of {', '.join(OUTPUTS)} (default capacity_loss)")
    discover.add_argument("--statistic", default="mean",
                          help="the experiment's mean, p10, p50 or p90 (default mean)")
    discover.add_argument("--at-least", type=float, default=None, help="the goal's threshold")
    discover.add_argument("--at-most", type=float, default=None,
                          help="the goal's threshold, for outputs where less is better")
    discover.add_argument("--json", action="store_true", help="print JSON instead of text")
    params = sub.add_parser("params",
                            help="list every assumption with unit, range, default, source")
    params.add_argument("--json", action="store_true")
    scenarios = sub.add_parser("scenarios", help="list the bundled scenarios (name and title)")
    scenarios.add_argument("--json", action="store_true")
    app = sub.add_parser("app", help="serve the what-if app on localhost with Voila")
    app.add_argument("scenario", nargs="?",
                     help="scenario YAML or bundled name to start from (default: the defaults)")
    app.add_argument("--port", type=int, default=None, help="port (default 8866, or a free one)")
    app.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    app.add_argument("--idle-timeout", type=int, default=600, metavar="SECONDS",
                     help="shut down a page's kernel this long after the page is closed "
                          "(default 600)")
    return parser


def _load(args: argparse.Namespace) -> Scenario:
    scenario = Scenario.from_yaml(scenario_path(args.scenario))
    changes: dict[str, Any] = {}
    for item in args.overrides:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise WhatifError(f"--set: expected NAME=VALUE, got {show(item)}")
        try:
            value = load_yaml(text, origin=f"--set {name.strip()}")
        except ScenarioError as exc:
            raise ParameterError(name.strip(), f"cannot read the value {show(text)} ({exc})"
                                 ) from None
        changes[name.strip()] = value
    return scenario.with_values(**changes) if changes else scenario


def _title(scenario: Scenario) -> str:
    """The scenario's title for a terminal: control characters (escape sequences) escaped."""
    return escape_controls(scenario.title)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, allow_nan=False))


def _cmd_run(args: argparse.Namespace) -> None:
    scenario = _load(args)
    if args.samples_out is not None:  # refused before the run: no work is lost
        from whatif.exports import check_samples_out

        check_samples_out(args.samples_out, scenario, _check_samples(args.samples))
    result = simulate(scenario, samples=args.samples, seed=args.seed)
    written = _write_samples(result, args.samples_out) if args.samples_out is not None else ""
    if args.json:
        if written:  # stderr: the JSON on stdout stays clean
            print(written, file=sys.stderr)
        _print_json(result.to_dict())
        return
    mode = ("deterministic (central values)" if args.samples == 0
            else f"{args.samples:,} samples, seed {args.seed}")
    print(f"{_title(scenario)}\n{mode}\n")
    labels = {name: output_label(name, scenario) for name in OUTPUTS}
    width = max(len(label) for label in labels.values())
    print(f"{'output':<{width}}  {'mean':>10} {'P10':>10} {'P50':>10} {'P90':>10}")
    for name, row in result.summary.iterrows():
        spec = OUTPUTS[name]
        cells = " ".join(f"{format_value(row[k], spec.unit):>10}"
                         for k in ("mean", "p10", "p50", "p90"))
        print(f"{labels[name]:<{width}}  {cells}")
    if result.sites is not None:
        print("\nOutput lost right after the first salvo, by site (own loss or a supplier's):")
        for name, row in result.sites.iterrows():
            cells = " ".join(f"{format_value(row[k], 'share'):>10}"
                             for k in ("mean", "p10", "p50", "p90"))
            print(f"{escape_controls(str(name)):<{width}}  {cells}")
    if written:
        print(f"\n{written}")


def _write_samples(result, path: str) -> str:
    """Write ``result``'s samples to ``path`` (:mod:`whatif.exports`); the line saying so."""
    from whatif.exports import write_samples

    out = write_samples(result, path)
    rows = max(result.samples, 1)
    return (f"samples: {rows:,} row{'s' if rows != 1 else ''} (inputs and outputs) written "
            f"to {escape_controls(str(out))}")


def _cmd_solve(args: argparse.Namespace) -> None:
    scenario = _load(args)
    result = missiles_needed(scenario, objective=args.objective, at_least=args.at_least,
                             confidence=args.confidence, samples=args.samples, seed=args.seed,
                             max_missiles=args.max_missiles)
    if args.json:
        _print_json(result.to_dict())
        return
    spec = OUTPUTS[result.objective]
    goal = f"{spec.label} >= {format_value(result.at_least, spec.unit)}"
    print(f"{_title(scenario)}\nGoal: {goal} with probability >= {result.confidence:.0%}")
    if result.missiles_needed is None:
        best = result.curve["probability"].iloc[-1]
        print(f"No salvo up to {result.max_missiles} missiles reaches it "
              f"(at {result.max_missiles}: probability {best:.1%}).")
    else:
        print(f"Missiles needed per salvo: {result.missiles_needed}")
    print("\nmissiles  P(success)")
    curve = result.curve
    step = max(1, len(curve) // 30)
    for missiles, probability in curve.iloc[::step].itertuples(index=False):
        print(f"{missiles:>8}  {probability:>9.1%}")


def _cmd_tornado(args: argparse.Namespace) -> None:
    scenario = _load(args)
    frame = tornado(scenario, args.output)
    if args.json:
        _print_json({"output": args.output, "central": frame.attrs["central"],
                     "rows": frame.to_dict(orient="records")})
        return
    unit = OUTPUTS[args.output].unit
    print(f"{_title(scenario)}\n{OUTPUTS[args.output].label}: central "
          f"{format_value(frame.attrs['central'], unit)}\n")
    for row in frame.itertuples(index=False):
        print(f"{row.parameter:<28} {format_value(row.output_at_low, unit):>10} .. "
              f"{format_value(row.output_at_high, unit):<10} (at {_end(row.low_value)} .. "
              f"{_end(row.high_value)})")


def _end(value) -> str:
    """A tornado end: a number (``:g``) or a choice's name."""
    return value if isinstance(value, str) else f"{value:g}"


def _cmd_brief(args: argparse.Namespace) -> None:
    if args.interactive:
        _cmd_interactive_brief(args)
        return
    for option in ("controls", "levels"):
        if getattr(args, option) is not None:
            raise WhatifError(f"--{option} is for the interactive brief: add --interactive")
    if args.samples is None:
        args.samples = 10_000
    try:
        from whatif.brief import render
    except ImportError as exc:  # papermill/nbconvert come with the app extra
        raise WhatifError(f"whatif brief needs {exc.name}: pip install -e '.[app]'") from None
    from whatif.brief import check_brief

    # everything that can be refused is refused before the notebook runs (exit code 2)
    source = scenario_path(args.scenario)  # a file or a bundled name
    check_brief(Scenario.from_yaml(source), args.samples, args.seed)
    out = check_writable(args.output, "--output")
    if args.notebook is not None:
        check_writable(args.notebook, "--notebook")
    render(source, out, samples=args.samples, seed=args.seed, notebook=args.notebook)
    print(f"wrote {escape_controls(str(out))} ({out.stat().st_size / 1e6:.2f} MB)")


def _cmd_interactive_brief(args: argparse.Namespace) -> None:
    """``whatif brief --interactive``: every input checked before the grid runs (exit 2)."""
    try:
        import altair  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError as exc:  # they come with the app extra
        raise WhatifError(f"whatif brief --interactive needs {exc.name}: "
                          "pip install -e '.[app]'") from None
    from whatif import interactive

    if args.notebook is not None:
        raise WhatifError("--notebook is for the static brief (the interactive one runs no "
                          "notebook)")
    controls = None if args.controls is None else interactive.parse_controls(args.controls)
    out = interactive.render(
        args.scenario, args.output, controls,
        interactive.DEFAULT_LEVELS if args.levels is None else args.levels,
        interactive.DEFAULT_SAMPLES if args.samples is None else args.samples, args.seed,
        progress=True)
    print(f"wrote {escape_controls(str(out))} ({out.stat().st_size / 1e6:.2f} MB)")


def _interval(row: Any, index: str) -> str:
    """A Sobol index with its confidence interval, e.g. ``0.772 [0.741, 0.803]``."""
    return (f"{getattr(row, index):.3f} [{getattr(row, index + '_low'):.3f}, "
            f"{getattr(row, index + '_high'):.3f}]")


def _sobol_json(frame) -> dict[str, Any]:
    """How a Sobol frame's numbers were made: confidence level, samples, seed, resamples."""
    return {key: frame.attrs[key] for key in ("confidence_level", "samples", "seed",
                                              "n_resamples")}


def _cmd_sobol(args: argparse.Namespace) -> None:
    scenario = _load(args)
    frame = sobol(scenario, args.output, samples=args.samples, seed=args.seed)
    if args.json:
        _print_json({"output": args.output, **_sobol_json(frame),
                     "rows": frame.to_dict(orient="records")})
        return
    level = f"{frame.attrs['confidence_level']:.0%}"
    print(f"{_title(scenario)}\nSobol indices of {OUTPUTS[args.output].label} "
          f"({args.samples} base samples, seed {args.seed})\nin brackets: {level} bootstrap "
          f"confidence intervals ({frame.attrs['n_resamples']} resamples)\n")
    print(f"{'parameter':<28} {'first order S1 [' + level + ']':>22} "
          f"{'total order ST [' + level + ']':>22}")
    for row in frame.itertuples(index=False):
        print(f"{row.parameter:<28} {_interval(row, 'first_order'):>22} "
              f"{_interval(row, 'total_order'):>22}")


def _cmd_sensitivity(args: argparse.Namespace) -> None:
    scenario = _load(args)
    torn = tornado(scenario, args.output)
    frame = sobol(scenario, args.output, samples=args.samples, seed=args.seed)
    indices = frame.set_index("parameter")
    if args.json:
        rows = []
        for row in torn.to_dict(orient="records"):
            name = row["parameter"]
            if name in indices.index:
                row.update({column: float(indices.loc[name, column])
                            for column in indices.columns})
            rows.append(row)
        _print_json({"output": args.output, "central": torn.attrs["central"],
                     "sobol_samples": args.samples,
                     "sobol_confidence_level": frame.attrs["confidence_level"],
                     "sobol_seed": frame.attrs["seed"],
                     "sobol_n_resamples": frame.attrs["n_resamples"], "rows": rows})
        return
    unit = OUTPUTS[args.output].unit
    level = f"{frame.attrs['confidence_level']:.0%}"
    print(f"{_title(scenario)}\n{OUTPUTS[args.output].label}: central "
          f"{format_value(torn.attrs['central'], unit)}\nSobol indices from {args.samples} base "
          f"samples, seed {args.seed}; in brackets: {level} bootstrap confidence intervals\n")
    print(f"{'parameter':<28} {'at low':>10} {'at high':>10} {'Sobol S1 [' + level + ']':>22} "
          f"{'ST [' + level + ']':>22}")
    for row in torn.itertuples(index=False):
        s1 = st = ""
        if row.parameter in indices.index:
            found = indices.loc[row.parameter]
            s1, st = _interval(found, "first_order"), _interval(found, "total_order")
        print(f"{row.parameter:<28} {format_value(row.output_at_low, unit):>10} "
              f"{format_value(row.output_at_high, unit):>10} {s1:>22} {st:>22}".rstrip())


def _cmd_explain(args: argparse.Namespace) -> None:
    if args.working:
        _cmd_working(args)
        return
    if args.missiles is None:
        args.missiles = 30
    scenario = _load(args)
    samples = _check_samples(args.samples)
    if 1 <= args.missiles <= MAX_SALVO:  # (explain names a bad salvo itself) before sweeping
        check_solve_work(scenario, samples, args.missiles)
    frame = explain(scenario, args.missiles, args.objective, args.at_least)
    solve = missiles_needed(scenario, args.objective, args.at_least, args.confidence,
                            samples=args.samples, seed=args.seed,
                            max_missiles=max(args.missiles, 1))
    chance = float(solve.curve["probability"].iloc[args.missiles])
    if args.json:
        _print_json({"missiles": args.missiles, "objective": args.objective,
                     "at_least": args.at_least, "confidence": args.confidence,
                     "probability_at_missiles": chance, "samples": solve.samples,
                     "met": chance >= args.confidence,
                     "conditions": frame.to_dict(orient="records")})
        return
    spec = OUTPUTS[args.objective]
    goal = f"{spec.label} >= {format_value(args.at_least, spec.unit)}"
    print(f"{_title(scenario)}\nGoal: {goal} with {args.missiles} missiles per salvo.")
    print(f"Monte Carlo ({solve.samples:,} samples): probability {chance:.0%} "
          f"({'meets' if chance >= args.confidence else 'falls short of'} the "
          f"{args.confidence:.0%} asked).")
    print("With every other assumption central (deterministic), the goal is met when:\n")
    for line in explain_lines(frame):
        print(f"  {line}")


def _cmd_working(args: argparse.Namespace) -> None:
    """``whatif explain --working``: every headline figure's steps (:mod:`whatif.working`)."""
    from whatif.views.working import working_lines
    from whatif.working import working

    samples = _check_samples(args.samples)
    work = working(_load(args), args.missiles, samples=samples)
    result = simulate(work.scenario, samples=samples, seed=args.seed) if samples else None
    if args.json:
        data = {**work.to_dict(), "seed": args.seed if samples else None}
        if result is not None:
            data["headline"] = {c.output: {k: float(v) for k, v in
                                           result.summary.loc[c.output].items()}
                                for c in work.chains}
        _print_json(data)
        return
    for line in working_lines(work, result):
        print(escape_controls(line))


def _month(name: str, text: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text or ""):
        raise ParameterError(name, f"{text!r} is not allowed; allowed a month as YYYY-MM")
    return text


def _cmd_calibrate(args: argparse.Namespace) -> None:
    import math

    import pandas as pd

    from whatif.calibrate import (
        DAY_ZERO,
        DEFEAT_WINDOW,
        PRODUCTION_WINDOW,
        calibrate,
        central_values,
    )

    scenario = (Scenario.from_yaml(scenario_path(args.scenario)) if args.scenario
                else Scenario.default())
    calibration = calibrate(
        production_window=(_month("production-from", args.production_from), PRODUCTION_WINDOW[1]),
        defeat_window=(_month("defeat-from", args.defeat_from or DEFEAT_WINDOW[0]),
                       DEFEAT_WINDOW[1]))
    check = calibration.check(central_values(scenario))
    if args.json:
        _print_json({**calibration.to_dict(), "scenario": scenario.title,
                     "check": check.reset_index().to_dict(orient="records")})
        return
    fit = calibration.production
    print(f"{_title(scenario)}\nFitted to the Air Force launch record "
          f"({calibration.record['month'].iloc[0]} to {calibration.record['month'].iloc[-1]}); "
          f"intervals are {calibration.defeat_rate.level:.0%}.\n")
    print(f"{'assumption':<16} {'scenario':>9} {'fitted':>9} {'interval':>17}  within")
    for name, row in check.iterrows():
        digits = 0 if row.unit == "drones/day" else 3
        print(f"{name:<16} {row.value:>9.{digits}f} {row.fitted:>9.{digits}f} "
              f"{row.low:>8.{digits}f}–{row.high:<8.{digits}f}  {'yes' if row.within else 'NO'}")
    params = fit.parameters
    print(f"\nProduction path ({fit.window[0]}..{fit.window[1]}, {fit.months} months): "
          f"{params['start_level']:.0f} → {params['end_level']:.0f} UAVs/day, midpoint "
          f"{(DAY_ZERO + pd.Timedelta(days=params['midpoint_day'])).date()}, "
          f"a logistic ramp of ~{fit.ramp_days:.0f} days; month-to-month scatter ×/÷ "
          f"{math.exp(fit.sigma):.2f}.")
    print(f"Level on day 0: {fit.uav_level.value:.0f} UAVs/day × Shahed share "
          f"{fit.shahed_share.value:.2f} = {calibration.production_now.value:.0f} Shahed-type/day "
          "(assumes launches ≈ output).")
    print(f"Defeat rate: {calibration.defeat_rate.method}.")


def _cmd_record(args: argparse.Namespace) -> None:
    from whatif.record import update_record

    update = update_record(args.daily, write_defaults=args.write_defaults)
    if args.json:
        _print_json(update.to_dict())
        return
    for line in update.lines():
        print(escape_controls(line))


def _cmd_backtest(args: argparse.Namespace) -> None:
    from whatif.backtest import backtest

    result = backtest(paths=args.path, horizons=args.horizons, samples=args.samples,
                      seed=args.seed)
    if args.json:
        _print_json(result.to_dict())
        return
    print("\n".join(result.lines()))


def _cmd_plan(args: argparse.Namespace) -> None:
    from whatif.optimise import optimise_plan

    result = optimise_plan(_load(args), args.missiles, salvos=args.salvos,
                           objective=args.objective, at_least=args.at_least,
                           confidence=args.confidence, samples=args.samples, seed=args.seed)
    if args.json:
        _print_json(result.to_dict())
        return
    for line in plan_lines(result):
        print(escape_controls(line))


def plan_lines(result) -> list[str]:
    """The optimiser's report as text lines (the words of :mod:`whatif.views.plan`)."""
    from whatif.views.plan import objective_value, objective_words, plan_text, run_mode

    unit = OUTPUTS[result.objective].unit
    best = result.best
    lines = [f"{result.scenario.title}", f"Best plan ({result.method}, {result.evaluations:,} "
             f"plans run, {run_mode(result)}), maximising {objective_words(result)}:",
             f"  {plan_text(best.plan, result.sites)}",
             f"  {objective_value(result, best.value)}   "
             f"({output_label(result.objective, result.scenario)}: P10 "
             f"{format_value(best.p10, unit)}, P90 {format_value(best.p90, unit)})"]
    if result.confidence is not None:
        met = "meets" if best.value >= result.confidence else "does not meet"
        lines.append(f"  {met} the required confidence {result.confidence:.0%}")
    lines.append(f"The obvious plan ({plan_text(result.obvious.plan, result.sites)}): "
                 f"{objective_value(result, result.obvious.value)}")
    if result.alternatives:
        lines.append("Next best plans:")
        for other in result.alternatives:
            lines.append(f"  {plan_text(other.plan, result.sites)}: "
                         f"{objective_value(result, other.value)} (worse by "
                         f"{objective_value(result, best.value - other.value)})")
    return lines


def _cmd_explore(args: argparse.Namespace) -> None:
    from whatif.explore import design, explore

    plan = design(_load(args), args.futures, levers=args.levers, policies=args.policies,
                  samples=args.samples, seed=args.seed)
    run = explore(plan, args.out, scheduler=args.scheduler, workers=args.workers,
                  progress=not (args.quiet or args.json), overwrite=args.overwrite)
    if args.json:
        _print_json(run.to_dict())
        return
    done = (f"{run.computed} of {run.chunks} chunks computed" if not run.reused
            else f"{run.computed} chunks computed, {run.reused} kept from before")
    def count(n: int, word: str) -> str:
        return f"{n:,} {word}{'' if n == 1 else 's'}"

    print(f"{_title(plan.scenario)}: {count(plan.futures, 'future')} × "
          f"{count(plan.policies, 'lever setting')} × {count(plan.samples, 'sample')} "
          f"({count(len(plan.uncertain), 'uncertain assumption')}, "
          f"{count(len(plan.levers), 'lever')})")
    print(f"{escape_controls(str(run.path))}: {run.experiments:,} experiments; {done} in "
          f"{run.seconds:.1f} s on {run.engine}")


def _cmd_discover(args: argparse.Namespace) -> None:
    from whatif.discover import discover, discover_lines
    from whatif.explore import read_results

    table, manifest = read_results(args.results)
    result = discover(table, manifest, args.output, at_least=args.at_least,
                      at_most=args.at_most, statistic=args.statistic)
    if args.json:
        _print_json(result.to_dict())
        return
    for line in discover_lines(result):
        print(escape_controls(line))


def _cmd_params(args: argparse.Namespace) -> None:
    if args.json:
        rows = []
        for p in REGISTRY.values():
            default = p.default.to_yaml_value() if isinstance(p.default, Assumption) else (
                [str(s) for s in p.default] if p.kind == "stages" else p.default)
            rows.append({"name": p.name, "group": p.group, "label": p.label, "unit": p.unit,
                         "kind": p.kind, "range": p.range_text(), "default": default,
                         "source": p.source, "source_url": p.source_url,
                         "source_date": p.source_date,
                         "reliability": p.reliability})
        _print_json(rows)
        return
    group = None
    for p in REGISTRY.values():
        if p.group != group:
            group = p.group
            print(f"\n== {group} ==")
        d = p.default
        if isinstance(d, Assumption):
            default = f"{d.central:g}"
            if d.dist != "fixed":
                default += f" ({d.dist} {d.low:g}–{d.high:g})"
        elif p.kind == "stages":
            default = "; ".join(map(str, d))
        else:
            default = str(d)
        print(f"{p.name}  [{p.unit or '-'}]  {p.label}")
        print(f"    range: {p.range_text()}   default: {default}")
        print(f"    source: {p.source}" + (f" <{p.source_url}>" if p.source_url else ""))


def _cmd_scenarios(args: argparse.Namespace) -> None:
    rows = [{"name": name, "title": Scenario.from_yaml(path).title, "path": str(path)}
            for name, path in bundled_scenarios().items()]
    if args.json:
        _print_json(rows)
        return
    width = max((len(row["name"]) for row in rows), default=0)
    for row in rows:
        print(f"{row['name']:<{width}}  {row['title']}")


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise WhatifError("no free port on 127.0.0.1")


#: pre-heated pages kept ready (each a kernel that has already run the app's notebook)
APP_POOL_SIZE = 1
#: seconds after a page takes a pre-heated kernel before the next one starts heating
#: (so that heating does not compete with the page being opened)
APP_REFILL_DELAY_S = 3


def app_command(scenario: str | None, host: str, port: int, idle_timeout: int = 600,
                ready_file: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """The Voila command line and environment that serve the app (``scenario``: a file or a
    bundled name; the kernels get it, and ``$WHATIF_DATA_DIR``, as absolute paths).

    Voilà keeps ``APP_POOL_SIZE`` kernels pre-heated: each has run the notebook (imports,
    compiled model loaded, app built and computed) before any page asks for it, so a
    page only has to draw. Pre-heated kernels inherit this environment, hence
    ``$WHATIF_SCENARIO``; ``ready_file`` becomes ``$WHATIF_READY_FILE``, which the app
    writes once built.
    """
    app_notebook = notebook("whatif.ipynb")
    env = kernel_environment()
    if scenario:
        env["WHATIF_SCENARIO"] = str(scenario_path(scenario).resolve())
    else:
        env.pop("WHATIF_SCENARIO", None)
    if ready_file is not None:
        env["WHATIF_READY_FILE"] = str(ready_file)
    else:
        env.pop("WHATIF_READY_FILE", None)
    cmd = [sys.executable, "-m", "voila", str(app_notebook), f"--port={port}", "--no-browser",
           f"--Voila.ip={host}", "--Voila.port_retries=0", "--show_tracebacks=False",
           "--theme=light", "--preheat_kernel=True", f"--pool_size={APP_POOL_SIZE}",
           f"--VoilaKernelManager.fill_delay={APP_REFILL_DELAY_S}",
           # a closed page cannot always shut its kernel down (voila#1458): cull kernels
           # that have been idle with no page connected (pre-heated ones are kept)
           f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
           f"--MappingKernelManager.cull_interval={max(1, min(60, idle_timeout // 2))}",
           "--MappingKernelManager.cull_connected=False"]
    from whatif.launch import use_app_template

    use_app_template(cmd, env)  # the page's accessibility script
    return cmd, env


def _cmd_app(args: argparse.Namespace) -> None:
    from whatif import launch

    if args.scenario:
        Scenario.from_yaml(scenario_path(args.scenario))  # a bad file stops here: exit code 2
    if args.port is not None and not 1 <= args.port <= 65535:
        raise ParameterError("port", f"{args.port} is out of range; allowed 1 to 65535")
    if not 1 <= args.idle_timeout <= 86400:
        raise ParameterError("idle-timeout", f"{args.idle_timeout} is out of range; allowed 1 to "
                             "86400 seconds")
    port = args.port if args.port is not None else _free_port(8866)
    url = f"http://{args.host}:{port}/"
    local = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(args.host, args.host)
    print("whatif app: preparing the model (the first run on a machine compiles it)...",
          flush=True)
    warm_up()  # so that no page waits for the compiler
    with tempfile.TemporaryDirectory(prefix="whatif-app-") as folder:
        ready = Path(folder) / "ready"
        cmd, env = app_command(args.scenario, args.host, port, args.idle_timeout, ready)
        print("whatif app: starting the server and preparing the first page...", flush=True)
        code = launch.serve(cmd, env, f"http://{local}:{port}/", ready, on_ready=lambda: print(
            f"whatif app: serving on {url}  (Ctrl-C to stop)", flush=True))
    if code:
        raise SystemExit(code)


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        {"run": _cmd_run, "solve": _cmd_solve, "tornado": _cmd_tornado, "sobol": _cmd_sobol,
         "brief": _cmd_brief, "sensitivity": _cmd_sensitivity, "explain": _cmd_explain,
         "calibrate": _cmd_calibrate, "record": _cmd_record, "backtest": _cmd_backtest,
         "plan": _cmd_plan, "explore": _cmd_explore, "discover": _cmd_discover,
         "params": _cmd_params, "scenarios": _cmd_scenarios,
         "app": _cmd_app}[args.command](args)
    except WhatifError as exc:
        print(f"whatif: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. `whatif params | head`
        return 0
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
