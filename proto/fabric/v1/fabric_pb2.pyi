import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttachmentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTACHMENT_STATE_UNSPECIFIED: _ClassVar[AttachmentState]
    ATTACHMENT_STATE_PENDING: _ClassVar[AttachmentState]
    ATTACHMENT_STATE_READY: _ClassVar[AttachmentState]
    ATTACHMENT_STATE_CONFLICT: _ClassVar[AttachmentState]

class SessionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_STATE_UNSPECIFIED: _ClassVar[SessionState]
    SESSION_STATE_CONNECTING: _ClassVar[SessionState]
    SESSION_STATE_CONNECTED: _ClassVar[SessionState]
    SESSION_STATE_DISCONNECTED: _ClassVar[SessionState]
ATTACHMENT_STATE_UNSPECIFIED: AttachmentState
ATTACHMENT_STATE_PENDING: AttachmentState
ATTACHMENT_STATE_READY: AttachmentState
ATTACHMENT_STATE_CONFLICT: AttachmentState
SESSION_STATE_UNSPECIFIED: SessionState
SESSION_STATE_CONNECTING: SessionState
SESSION_STATE_CONNECTED: SessionState
SESSION_STATE_DISCONNECTED: SessionState

class Network(_message.Message):
    __slots__ = ("name", "namespace", "vni", "shared", "mtu", "description", "evi", "create_time", "attachment_count", "owner", "readiness")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    VNI_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EVI_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    READINESS_FIELD_NUMBER: _ClassVar[int]
    name: str
    namespace: str
    vni: int
    shared: bool
    mtu: int
    description: str
    evi: int
    create_time: _timestamp_pb2.Timestamp
    attachment_count: int
    owner: str
    readiness: str
    def __init__(self, name: _Optional[str] = ..., namespace: _Optional[str] = ..., vni: _Optional[int] = ..., shared: _Optional[bool] = ..., mtu: _Optional[int] = ..., description: _Optional[str] = ..., evi: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attachment_count: _Optional[int] = ..., owner: _Optional[str] = ..., readiness: _Optional[str] = ...) -> None: ...

class NetworkRef(_message.Message):
    __slots__ = ("namespace", "name", "vni")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VNI_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    name: str
    vni: int
    def __init__(self, namespace: _Optional[str] = ..., name: _Optional[str] = ..., vni: _Optional[int] = ...) -> None: ...

class CreateNetworkRequest(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: Network
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class GetNetworkRequest(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: NetworkRef
    def __init__(self, network: _Optional[_Union[NetworkRef, _Mapping]] = ...) -> None: ...

class ListNetworksRequest(_message.Message):
    __slots__ = ("namespace",)
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    def __init__(self, namespace: _Optional[str] = ...) -> None: ...

class ListNetworksResponse(_message.Message):
    __slots__ = ("networks",)
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    def __init__(self, networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ...) -> None: ...

class DeleteNetworkRequest(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: NetworkRef
    def __init__(self, network: _Optional[_Union[NetworkRef, _Mapping]] = ...) -> None: ...

class DeleteNetworkResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class RenderNADRequest(_message.Message):
    __slots__ = ("network", "uplink", "ipam_json", "nad_namespace")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    UPLINK_FIELD_NUMBER: _ClassVar[int]
    IPAM_JSON_FIELD_NUMBER: _ClassVar[int]
    NAD_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    network: NetworkRef
    uplink: str
    ipam_json: str
    nad_namespace: str
    def __init__(self, network: _Optional[_Union[NetworkRef, _Mapping]] = ..., uplink: _Optional[str] = ..., ipam_json: _Optional[str] = ..., nad_namespace: _Optional[str] = ...) -> None: ...

class RenderNADResponse(_message.Message):
    __slots__ = ("manifest", "cni_config")
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    CNI_CONFIG_FIELD_NUMBER: _ClassVar[int]
    manifest: str
    cni_config: str
    def __init__(self, manifest: _Optional[str] = ..., cni_config: _Optional[str] = ...) -> None: ...

class AttachmentId(_message.Message):
    __slots__ = ("pod_namespace", "pod_name", "pod_uid", "network", "interface")
    POD_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    POD_NAME_FIELD_NUMBER: _ClassVar[int]
    POD_UID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    pod_namespace: str
    pod_name: str
    pod_uid: str
    network: NetworkRef
    interface: str
    def __init__(self, pod_namespace: _Optional[str] = ..., pod_name: _Optional[str] = ..., pod_uid: _Optional[str] = ..., network: _Optional[_Union[NetworkRef, _Mapping]] = ..., interface: _Optional[str] = ...) -> None: ...

class Attachment(_message.Message):
    __slots__ = ("id", "container_id", "node", "nic", "vlan", "switch", "port", "vni", "state", "reason", "create_time", "update_time", "cni_network", "pod_phase")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    NIC_FIELD_NUMBER: _ClassVar[int]
    VLAN_FIELD_NUMBER: _ClassVar[int]
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    VNI_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CNI_NETWORK_FIELD_NUMBER: _ClassVar[int]
    POD_PHASE_FIELD_NUMBER: _ClassVar[int]
    id: AttachmentId
    container_id: str
    node: str
    nic: str
    vlan: int
    switch: str
    port: str
    vni: int
    state: AttachmentState
    reason: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    cni_network: str
    pod_phase: str
    def __init__(self, id: _Optional[_Union[AttachmentId, _Mapping]] = ..., container_id: _Optional[str] = ..., node: _Optional[str] = ..., nic: _Optional[str] = ..., vlan: _Optional[int] = ..., switch: _Optional[str] = ..., port: _Optional[str] = ..., vni: _Optional[int] = ..., state: _Optional[_Union[AttachmentState, str]] = ..., reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cni_network: _Optional[str] = ..., pod_phase: _Optional[str] = ...) -> None: ...

class AttachRequest(_message.Message):
    __slots__ = ("id", "container_id", "node", "nic", "cni_network")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    NIC_FIELD_NUMBER: _ClassVar[int]
    CNI_NETWORK_FIELD_NUMBER: _ClassVar[int]
    id: AttachmentId
    container_id: str
    node: str
    nic: str
    cni_network: str
    def __init__(self, id: _Optional[_Union[AttachmentId, _Mapping]] = ..., container_id: _Optional[str] = ..., node: _Optional[str] = ..., nic: _Optional[str] = ..., cni_network: _Optional[str] = ...) -> None: ...

class DetachRequest(_message.Message):
    __slots__ = ("id", "container_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    id: AttachmentId
    container_id: str
    def __init__(self, id: _Optional[_Union[AttachmentId, _Mapping]] = ..., container_id: _Optional[str] = ...) -> None: ...

class DetachResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: bool
    def __init__(self, removed: _Optional[bool] = ...) -> None: ...

class GetAttachmentRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: AttachmentId
    def __init__(self, id: _Optional[_Union[AttachmentId, _Mapping]] = ...) -> None: ...

class ListAttachmentsRequest(_message.Message):
    __slots__ = ("node", "network", "pod_namespace", "switch", "page_size", "page_token")
    NODE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    POD_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    node: str
    network: NetworkRef
    pod_namespace: str
    switch: str
    page_size: int
    page_token: str
    def __init__(self, node: _Optional[str] = ..., network: _Optional[_Union[NetworkRef, _Mapping]] = ..., pod_namespace: _Optional[str] = ..., switch: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAttachmentsResponse(_message.Message):
    __slots__ = ("attachments", "next_page_token")
    ATTACHMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    attachments: _containers.RepeatedCompositeFieldContainer[Attachment]
    next_page_token: str
    def __init__(self, attachments: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ("id", "container_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    id: AttachmentId
    container_id: str
    def __init__(self, id: _Optional[_Union[AttachmentId, _Mapping]] = ..., container_id: _Optional[str] = ...) -> None: ...

class ValidAttachment(_message.Message):
    __slots__ = ("container_id", "interface")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    interface: str
    def __init__(self, container_id: _Optional[str] = ..., interface: _Optional[str] = ...) -> None: ...

class GarbageCollectRequest(_message.Message):
    __slots__ = ("node", "network", "valid", "cni_network")
    NODE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    CNI_NETWORK_FIELD_NUMBER: _ClassVar[int]
    node: str
    network: NetworkRef
    valid: _containers.RepeatedCompositeFieldContainer[ValidAttachment]
    cni_network: str
    def __init__(self, node: _Optional[str] = ..., network: _Optional[_Union[NetworkRef, _Mapping]] = ..., valid: _Optional[_Iterable[_Union[ValidAttachment, _Mapping]]] = ..., cni_network: _Optional[str] = ...) -> None: ...

class GarbageCollectResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: _containers.RepeatedCompositeFieldContainer[AttachmentId]
    def __init__(self, removed: _Optional[_Iterable[_Union[AttachmentId, _Mapping]]] = ...) -> None: ...

class ReleaseSwitchRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ReleaseSwitchResponse(_message.Message):
    __slots__ = ("released_objects",)
    RELEASED_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    released_objects: int
    def __init__(self, released_objects: _Optional[int] = ...) -> None: ...

class Switch(_message.Message):
    __slots__ = ("name", "address", "platform", "role", "state", "last_sync", "pending_changes", "in_sync", "last_error", "vlans_used", "vlans_free", "held_objects", "held")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_SYNC_FIELD_NUMBER: _ClassVar[int]
    PENDING_CHANGES_FIELD_NUMBER: _ClassVar[int]
    IN_SYNC_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    VLANS_USED_FIELD_NUMBER: _ClassVar[int]
    VLANS_FREE_FIELD_NUMBER: _ClassVar[int]
    HELD_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: str
    platform: str
    role: str
    state: SessionState
    last_sync: _timestamp_pb2.Timestamp
    pending_changes: int
    in_sync: bool
    last_error: str
    vlans_used: int
    vlans_free: int
    held_objects: int
    held: str
    def __init__(self, name: _Optional[str] = ..., address: _Optional[str] = ..., platform: _Optional[str] = ..., role: _Optional[str] = ..., state: _Optional[_Union[SessionState, str]] = ..., last_sync: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pending_changes: _Optional[int] = ..., in_sync: _Optional[bool] = ..., last_error: _Optional[str] = ..., vlans_used: _Optional[int] = ..., vlans_free: _Optional[int] = ..., held_objects: _Optional[int] = ..., held: _Optional[str] = ...) -> None: ...

class ListSwitchesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSwitchesResponse(_message.Message):
    __slots__ = ("switches",)
    SWITCHES_FIELD_NUMBER: _ClassVar[int]
    switches: _containers.RepeatedCompositeFieldContainer[Switch]
    def __init__(self, switches: _Optional[_Iterable[_Union[Switch, _Mapping]]] = ...) -> None: ...

class GetTopologyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TopologyNode(_message.Message):
    __slots__ = ("name", "role", "platform")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: str
    platform: str
    def __init__(self, name: _Optional[str] = ..., role: _Optional[str] = ..., platform: _Optional[str] = ...) -> None: ...

class Link(_message.Message):
    __slots__ = ("a", "a_port", "b", "b_port", "kind", "source", "stale")
    A_FIELD_NUMBER: _ClassVar[int]
    A_PORT_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    B_PORT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    a: str
    a_port: str
    b: str
    b_port: str
    kind: str
    source: str
    stale: bool
    def __init__(self, a: _Optional[str] = ..., a_port: _Optional[str] = ..., b: _Optional[str] = ..., b_port: _Optional[str] = ..., kind: _Optional[str] = ..., source: _Optional[str] = ..., stale: _Optional[bool] = ...) -> None: ...

class TopologyConflict(_message.Message):
    __slots__ = ("kind", "subject", "reason")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    kind: str
    subject: str
    reason: str
    def __init__(self, kind: _Optional[str] = ..., subject: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Topology(_message.Message):
    __slots__ = ("version", "nodes", "links", "conflicts")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    version: int
    nodes: _containers.RepeatedCompositeFieldContainer[TopologyNode]
    links: _containers.RepeatedCompositeFieldContainer[Link]
    conflicts: _containers.RepeatedCompositeFieldContainer[TopologyConflict]
    def __init__(self, version: _Optional[int] = ..., nodes: _Optional[_Iterable[_Union[TopologyNode, _Mapping]]] = ..., links: _Optional[_Iterable[_Union[Link, _Mapping]]] = ..., conflicts: _Optional[_Iterable[_Union[TopologyConflict, _Mapping]]] = ...) -> None: ...

class PlanRequest(_message.Message):
    __slots__ = ("switches",)
    SWITCHES_FIELD_NUMBER: _ClassVar[int]
    switches: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, switches: _Optional[_Iterable[str]] = ...) -> None: ...

class PathValue(_message.Message):
    __slots__ = ("path", "json")
    PATH_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    path: str
    json: str
    def __init__(self, path: _Optional[str] = ..., json: _Optional[str] = ...) -> None: ...

class SwitchPlan(_message.Message):
    __slots__ = ("switch", "deletes", "replaces", "updates", "error")
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    DELETES_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    switch: str
    deletes: _containers.RepeatedScalarFieldContainer[str]
    replaces: _containers.RepeatedCompositeFieldContainer[PathValue]
    updates: _containers.RepeatedCompositeFieldContainer[PathValue]
    error: str
    def __init__(self, switch: _Optional[str] = ..., deletes: _Optional[_Iterable[str]] = ..., replaces: _Optional[_Iterable[_Union[PathValue, _Mapping]]] = ..., updates: _Optional[_Iterable[_Union[PathValue, _Mapping]]] = ..., error: _Optional[str] = ...) -> None: ...

class PlanResponse(_message.Message):
    __slots__ = ("plans",)
    PLANS_FIELD_NUMBER: _ClassVar[int]
    plans: _containers.RepeatedCompositeFieldContainer[SwitchPlan]
    def __init__(self, plans: _Optional[_Iterable[_Union[SwitchPlan, _Mapping]]] = ...) -> None: ...

class AuditRequest(_message.Message):
    __slots__ = ("switches",)
    SWITCHES_FIELD_NUMBER: _ClassVar[int]
    switches: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, switches: _Optional[_Iterable[str]] = ...) -> None: ...

class AuditFinding(_message.Message):
    __slots__ = ("kind", "switch", "vni", "port", "peer", "detail")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SWITCH_FIELD_NUMBER: _ClassVar[int]
    VNI_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    kind: str
    switch: str
    vni: int
    port: str
    peer: str
    detail: str
    def __init__(self, kind: _Optional[str] = ..., switch: _Optional[str] = ..., vni: _Optional[int] = ..., port: _Optional[str] = ..., peer: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class AuditResponse(_message.Message):
    __slots__ = ("findings", "switches", "more")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    SWITCHES_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[AuditFinding]
    switches: _containers.RepeatedScalarFieldContainer[str]
    more: int
    def __init__(self, findings: _Optional[_Iterable[_Union[AuditFinding, _Mapping]]] = ..., switches: _Optional[_Iterable[str]] = ..., more: _Optional[int] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("kinds",)
    KINDS_FIELD_NUMBER: _ClassVar[int]
    kinds: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, kinds: _Optional[_Iterable[str]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("seq", "time", "kind", "subject", "message", "attributes")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    seq: int
    time: _timestamp_pb2.Timestamp
    kind: str
    subject: str
    message: str
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, seq: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[str] = ..., subject: _Optional[str] = ..., message: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetControllerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Controller(_message.Message):
    __slots__ = ("instance", "role", "leader", "leader_address", "term", "store", "replica_age_seconds")
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    LEADER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    STORE_FIELD_NUMBER: _ClassVar[int]
    REPLICA_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    instance: str
    role: str
    leader: str
    leader_address: str
    term: int
    store: str
    replica_age_seconds: float
    def __init__(self, instance: _Optional[str] = ..., role: _Optional[str] = ..., leader: _Optional[str] = ..., leader_address: _Optional[str] = ..., term: _Optional[int] = ..., store: _Optional[str] = ..., replica_age_seconds: _Optional[float] = ...) -> None: ...
