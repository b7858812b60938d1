"""R — customers: the registry, its projections, the right to be forgotten and the read service.

``definitions`` says what counts (pure); ``projection`` keeps the aggregates current from
``canary:detection``; ``rebuild`` recomputes them from T's canonical tables; ``forget`` erases a
customer; ``service.IdentityService`` answers the canary-identity questions. See docs/customers.md.
"""
