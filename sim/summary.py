"""A few lines that tell a run's outcome on the terminal (the files hold everything)."""

from __future__ import annotations

__all__ = ["format_summary"]


def format_summary(m: dict) -> str:
    """The headline numbers of one run's metrics, as a short block of text."""
    return "\n".join(
        [
            f"{m['strategy']} on {m['population']}: {m['customers']:,} customers, {m['horizon_days']} days, "
            f"seed {m['seed']}",
            f"  value       {m['value']:>14,.0f}   = margin {m['margin']:,.0f} + customer equity "
            f"{m['customer_equity']:,.0f}",
            f"  revenue     {m['revenue']:>14,.0f}   orders {m['orders']:,}",
            f"  trust       {m['trust_mean_start']:.3f} -> {m['trust_mean_end']:.3f} (10th percentile "
            f"{m['trust_p10_end']:.3f})   churned {m['churned_share']:.1%}   feel valued {m['feel_valued_share']:.1%}",
            f"  email       open {m['email_open_rate']:.1%}   click {m['email_click_rate']:.2%}   unsubscribe "
            f"{m['email_unsubscribe_rate']:.2%} per send   opted out {m['optout_share_email']:.1%}",
            *[
                f"  {ch:<11} sends {c['sends']:,}   noticed {c['opens'] / c['sends']:.1%}   clicked "
                f"{c['clicks'] / c['sends']:.2%}   opted out {c['optout_share']:.1%} of {c['consent_start']:,}"
                + (f"   held by caps {c['suppressed_by_cap']:,}" if c["suppressed_by_cap"] else "")
                for ch, c in m.get("channels", {}).items()
                if ch != "email" and c["sends"]
            ],
            f"  persofails  {m['persofails']:,}   creepy touches {m['creepy_touches']:,}",
        ]
    )
