"""The seven phases of a month, one module each, in order.

======================  ===================================================  ==========================
phase                   what it does                                         module
======================  ===================================================  ==========================
``exogenous``           demand, technology, policy, pipelines                :mod:`.exogenous`
``plan``                agents' decisions: build, funding, porting, capex    :mod:`.plan`
``deals``               proposals, regulator review, tranches, contracts     :mod:`.deals`
``orders``              every agent's offers and bids                        :mod:`.orders`
``clear``               contracts first, then one clearing of all markets    :mod:`.clear`, :mod:`.clear_contracts`, :mod:`.clear_links`
``settle``              deliveries, payments, labs' month, exits             :mod:`.settle`, :mod:`.settle_labs`
``record``              metrics rows and tables                              :mod:`.record`
======================  ===================================================  ==========================

Each is a function of the state it reads and updates, declared in its signature;
:class:`agents.model.GigawattModel` threads them in order.
"""

__all__ = ["PHASES"]

PHASES = ("exogenous", "plan", "deals", "orders", "clear", "settle", "record")
"""The seven phases of a month, in order."""
