# Experiment files (prepersona experiment=NAME), shipped with the package as sim.experiments.
