"""Word of mouth: a creepy touch is talked about, and the listeners' trust drops too.

A worked example of the behavior API, in NumPy only.  Each customer has a few contacts
(drawn once, uniformly); after a creepy touch the customer tells them with probability
``tell_probability`` (about a fifth of consumers tell friends after a creepy experience,
InMoment 2018), and each contact's trust falls by ``loss * trust``.
"""

from __future__ import annotations

import numpy as np

from sim.behavior import Behavior, wave_uniforms
from sim.population import FieldSpec

__all__ = ["WordOfMouth"]


class WordOfMouth(Behavior):
    """A creepy touch lowers the trust of a few linked customers.

    Parameters
    ----------
    contacts : int
        Contacts per customer (>= 1).
    tell_probability : float
        Probability that a customer who found a touch creepy tells its contacts, in [0, 1].
    loss : float
        Share of trust each told contact loses, in [0, 1].
    after, replaces : see :class:`sim.behavior.Behavior`.

    Owns the field ``wom_contacts`` (int32, shape (N, contacts)): contact indices, -1 for none.
    """

    def __init__(
        self,
        contacts: int = 3,
        tell_probability: float = 0.21,
        loss: float = 0.03,
        after: str = "trust",
        replaces: str | None = None,
    ):
        super().__init__(after=after, replaces=replaces)
        if isinstance(contacts, bool) or not (isinstance(contacts, int) and contacts >= 1):
            raise ValueError(f"contacts={contacts!r}; allowed: an integer >= 1")
        for name, value in (("tell_probability", tell_probability), ("loss", loss)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}={value!r}; allowed: [0, 1]")
        self.contacts, self.tell_probability, self.loss = contacts, tell_probability, loss
        self.fields = (
            FieldSpec("wom_contacts", "int32", (contacts,), -1, doc="customers this customer talks to; -1 = none"),
        )
        self.told = 0  # contacts told so far, for reports

    def setup(self, pop, rng: np.random.Generator) -> None:
        links = rng.integers(0, pop.n, size=(pop.n, self.contacts), dtype=np.int64)
        links[links == np.arange(pop.n)[:, None]] = -1  # nobody is their own contact
        pop.wom_contacts[:] = links

    def on_wave(self, ctx) -> None:
        b, pop = ctx.batch, ctx.pop
        if len(b) == 0:
            return
        tells = b.creepy.astype(bool) & (wave_uniforms(ctx, self) < self.tell_probability)
        heard = pop.wom_contacts[b.cust[tells]].ravel()
        heard = heard[heard >= 0]
        heard = heard[pop.active[heard].astype(bool)]
        if heard.size == 0:
            return
        # A contact told twice in one wave loses twice: (1 - loss) ** times, order-free.
        who, times = np.unique(heard, return_counts=True)
        pop.trust[who] = (pop.trust[who].astype(np.float64) * (1.0 - self.loss) ** times).astype(np.float32)
        self.told += int(heard.size)

    def metrics(self, pop) -> dict[str, float]:
        """``contacts_told``: how many times a contact heard of a creepy touch (one contact can hear twice)."""
        return {"contacts_told": float(self.told)}
