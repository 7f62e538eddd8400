"""``prepersona --help``: what the command does, its config groups and options, and where to
look next.

Hydra's own help prints its template and the whole composed config (hundreds of lines) under
"app is powered by Hydra"; a newcomer needs the groups, a few commands and the way to the
rest.  Hydra's help stays one flag away (``--hydra-help``), and ``--cfg job`` prints the
composed config.
"""

from __future__ import annotations

__all__ = ["help_text"]

USAGE = """\
prepersona: try personalization strategies on a synthetic population, for months of simulated
time, and see revenue against eroded trust before a real customer is touched.

usage:
  prepersona [KEY=VALUE ...]                   one run (100,000 customers for a year by default)
  prepersona -m KEY=A,B [KEY=C,D ...]          a sweep of every combination, then its report
  prepersona experiment=NAME [KEY=VALUE ...]   a shipped study: its sweep and its report

examples:
  prepersona strategy=retarget_naive
  prepersona -m strategy=none,recommend,retarget_naive seed=0,1,2
  prepersona experiment=toilet_seat population.size=20000
  prepersona experiment=robust_frontier        # every strategy across plausible worlds
"""

MORE = """\
more:
  prepersona [KEY=VALUE ...] --cfg job         print the composed config (every key and value)
  prepersona-report DIR                        the workshop report of a sweep directory
  prepersona-calibrate TARGETS.yaml --name NAME --out DIR   fit the model to a firm's figures
  prepersona-validate                          check the model against published findings
  prepersona --hydra-help                      Hydra's own options (launchers, sweepers, ...)
Every parameter, with its unit, default, allowed range and source, is in docs/parameters.md
of the source; the README is the user guide.
"""


def help_text(overrides: list[str] = ()) -> str:
    """The help: usage, the config groups with their options (the package's, and those of the
    directories of a ``hydra.searchpath`` in ``overrides``), and where to look next."""
    import textwrap

    from sim.config.compose import GROUPS, hydra_context
    from sim.config.hydra_errors import group_options, search_path_dirs

    extra = [d for d in search_path_dirs(list(overrides)) or [] if d.is_dir()]
    with hydra_context():
        groups = {g: group_options(g, extra) for g in sorted(GROUPS)}
    width = max(len(g) for g in groups)
    lines = []
    for g, options in groups.items():
        lines += textwrap.wrap(
            ", ".join(options),
            width=100,
            initial_indent=f"  {g.ljust(width)}  ",
            subsequent_indent=" " * (width + 4),
            break_on_hyphens=False,
        )
    return f"{USAGE}\nconfig groups (GROUP=OPTION):\n" + "\n".join(lines) + f"\n\n{MORE}"
