"""fabricd's settings, the ground floor of the daemon: the typed sections
(:mod:`.model`), their field types (:mod:`.fields`, :mod:`.address`),
loading with environment overrides (:mod:`.load`), the switch inventory
(:mod:`.inventory`) and the generated reference (:mod:`.reference`).

Kept empty on purpose: importing an address parser (fabricctl does) must not
import pydantic and the whole settings model."""
