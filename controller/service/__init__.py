"""The fabric service: API semantics over the intent, its durable store and
the fleet of switch workers. :mod:`.fabric` composes it; :mod:`.networks`,
:mod:`.attachments` and :mod:`.topology` are its operations; :mod:`.authz`
and :mod:`.durable` the rules every operation follows."""
