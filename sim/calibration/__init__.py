"""Calibration to a firm's own figures: ``prepersona-calibrate TARGETS.yaml --name NAME --out DIR``.

Modules, one job each: :mod:`~sim.calibration.figures` (the figures a target may name),
:mod:`~sim.calibration.spec` (the targets file and its checks), :mod:`~sim.calibration.fit`
(the search on common random numbers and the check on fresh seeds),
:mod:`~sim.calibration.output` (the config options and the fit report), and
:mod:`~sim.calibration.cli` (the command).  ``fictional_retailer.yaml`` is a shipped example.
"""
