"""Campaign timing: when and how often the firm reaches out, on which channel.

* :mod:`~sim.campaigns.checks`: config-time checks of a campaign plan;
* :mod:`~sim.campaigns.book`: what the firm knows of each customer's last visit, purchase and
  activity (for audiences, triggers and retargeting);
* :mod:`~sim.campaigns.policy`: consent, frequency caps and quiet hours, applied to every
  outbound wave;
* :mod:`~sim.campaigns.scheduled`: send times and audiences of scheduled campaigns;
* :mod:`~sim.campaigns.triggers`: per-customer clocks of triggered campaigns, dispatched in
  time buckets;
* :mod:`~sim.campaigns.retargeting`: ads that follow a visitor, with decaying specificity.

The SimPy processes that drive them live in :mod:`sim.engine`.
"""
