from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SwitchRequest(_message.Message):
    __slots__ = ("switch",)
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    switch: str
    def __init__(self, switch: _Optional[str] = ...) -> None: ...

class ListSwitchesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SwitchInfo(_message.Message):
    __slots__ = ("name", "address", "tls", "authentication", "validate")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: str
    tls: bool
    authentication: bool
    validate: str
    def __init__(self, name: _Optional[str] = ..., address: _Optional[str] = ..., tls: _Optional[bool] = ..., authentication: _Optional[bool] = ..., validate: _Optional[str] = ...) -> None: ...

class ListSwitchesResponse(_message.Message):
    __slots__ = ("switches",)
    SWITCHES_FIELD_NUMBER: _ClassVar[int]
    switches: _containers.RepeatedCompositeFieldContainer[SwitchInfo]
    def __init__(self, switches: _Optional[_Iterable[_Union[SwitchInfo, _Mapping]]] = ...) -> None: ...

class FailRpcsRequest(_message.Message):
    __slots__ = ("switch", "methods", "code", "message", "count", "duration_seconds")
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    switch: str
    methods: _containers.RepeatedScalarFieldContainer[str]
    code: str
    message: str
    count: int
    duration_seconds: float
    def __init__(self, switch: _Optional[str] = ..., methods: _Optional[_Iterable[str]] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., count: _Optional[int] = ..., duration_seconds: _Optional[float] = ...) -> None: ...

class AddLatencyRequest(_message.Message):
    __slots__ = ("switch", "methods", "seconds", "count", "duration_seconds")
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    METHODS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    switch: str
    methods: _containers.RepeatedScalarFieldContainer[str]
    seconds: float
    count: int
    duration_seconds: float
    def __init__(self, switch: _Optional[str] = ..., methods: _Optional[_Iterable[str]] = ..., seconds: _Optional[float] = ..., count: _Optional[int] = ..., duration_seconds: _Optional[float] = ...) -> None: ...

class FaultResponse(_message.Message):
    __slots__ = ("fault_id",)
    FAULT_ID_FIELD_NUMBER: _ClassVar[int]
    fault_id: int
    def __init__(self, fault_id: _Optional[int] = ...) -> None: ...

class ClearFaultsResponse(_message.Message):
    __slots__ = ("cleared",)
    CLEARED_FIELD_NUMBER: _ClassVar[int]
    cleared: int
    def __init__(self, cleared: _Optional[int] = ...) -> None: ...

class DropStreamsRequest(_message.Message):
    __slots__ = ("switch", "message")
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    switch: str
    message: str
    def __init__(self, switch: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class DropStreamsResponse(_message.Message):
    __slots__ = ("dropped",)
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    dropped: int
    def __init__(self, dropped: _Optional[int] = ...) -> None: ...

class RebootRequest(_message.Message):
    __slots__ = ("switch", "down_seconds")
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    DOWN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    switch: str
    down_seconds: float
    def __init__(self, switch: _Optional[str] = ..., down_seconds: _Optional[float] = ...) -> None: ...

class RebootResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RemoveLldpNeighborRequest(_message.Message):
    __slots__ = ("switch", "local_port", "chassis_id")
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    LOCAL_PORT_FIELD_NUMBER: _ClassVar[int]
    CHASSIS_ID_FIELD_NUMBER: _ClassVar[int]
    switch: str
    local_port: str
    chassis_id: str
    def __init__(self, switch: _Optional[str] = ..., local_port: _Optional[str] = ..., chassis_id: _Optional[str] = ...) -> None: ...

class AddLldpNeighborRequest(_message.Message):
    __slots__ = ("switch", "local_port", "system_name", "port_id", "port_id_type", "chassis_id", "chassis_id_type", "port_description", "system_description")
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    LOCAL_PORT_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_TYPE_FIELD_NUMBER: _ClassVar[int]
    CHASSIS_ID_FIELD_NUMBER: _ClassVar[int]
    CHASSIS_ID_TYPE_FIELD_NUMBER: _ClassVar[int]
    PORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    switch: str
    local_port: str
    system_name: str
    port_id: str
    port_id_type: str
    chassis_id: str
    chassis_id_type: str
    port_description: str
    system_description: str
    def __init__(self, switch: _Optional[str] = ..., local_port: _Optional[str] = ..., system_name: _Optional[str] = ..., port_id: _Optional[str] = ..., port_id_type: _Optional[str] = ..., chassis_id: _Optional[str] = ..., chassis_id_type: _Optional[str] = ..., port_description: _Optional[str] = ..., system_description: _Optional[str] = ...) -> None: ...

class LldpResponse(_message.Message):
    __slots__ = ("neighbors",)
    NEIGHBORS_FIELD_NUMBER: _ClassVar[int]
    neighbors: int
    def __init__(self, neighbors: _Optional[int] = ...) -> None: ...

class Counters(_message.Message):
    __slots__ = ("capabilities", "get", "set", "subscribe", "sets_committed", "sets_rejected", "set_ops")
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    GET_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBE_FIELD_NUMBER: _ClassVar[int]
    SETS_COMMITTED_FIELD_NUMBER: _ClassVar[int]
    SETS_REJECTED_FIELD_NUMBER: _ClassVar[int]
    SET_OPS_FIELD_NUMBER: _ClassVar[int]
    capabilities: int
    get: int
    set: int
    subscribe: int
    sets_committed: int
    sets_rejected: int
    set_ops: int
    def __init__(self, capabilities: _Optional[int] = ..., get: _Optional[int] = ..., set: _Optional[int] = ..., subscribe: _Optional[int] = ..., sets_committed: _Optional[int] = ..., sets_rejected: _Optional[int] = ..., set_ops: _Optional[int] = ...) -> None: ...

class GetConfigResponse(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...
