"""moto made faster where the local runtime spends its time, without changing what it answers:
each patch below says what moto did, why it cost, and why the faster way answers the same.
`tests/e2e/test_local_runtime.py` checks the answers, against moto's own where it can."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any


def install() -> None:
    """Every patch, once per process (the local runtime calls it when it first starts)."""
    _parse_each_definition_once()
    _parse_each_update_expression_once()
    _serialise_attribute_values_as_they_are()
    _look_up_each_node_class_once()
    _copy_parse_trees_by_their_structure()
    _list_each_handler_s_methods_once()
    _query_without_sorting_the_whole_table()
    _check_retention_without_listing_queue_attributes()
    _size_and_copy_item_values_as_they_are()


def _parse_each_definition_once() -> None:
    """moto's Step Functions parses the definition with ANTLR for every execution, builds a
    boto3 client for every Lambda task and a JSONPath parser for every path it evaluates; here
    the parse tree (read only), the client and each parsed path (read only) are made once, and
    each execution still gets its own evaluation components. A burst starts hundreds of
    executions at once: each of the definition and the client is made by the first of them, while
    the others wait for it (an unlocked cache let each one parse the definition anew)."""

    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
    from moto.stepfunctions.parser.asl.utils import json_path
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    parse_tree = _made_once(lambda definition: AmazonStateLanguageParser.parse(definition)[1])

    def entrypoint(self: Any) -> Any:
        return Preprocessor().visit(parse_tree(self._evaluation_details.state_machine_details.definition))

    original_client = lambda_eval_utils.boto_client_for
    client = _made_once(lambda region, service: original_client(region=region, service=service))

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        return client(region, service)  # moto's clients use fixed test credentials anyway

    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign]
    lambda_eval_utils.boto_client_for = boto_client_for
    for module in (json_path, result_path):  # a new PLY parser for each path evaluated, before
        setattr(module, "parse", _made_once(module.parse))  # noqa: B010


def _made_once(make: Callable[..., Any]) -> Callable[..., Any]:
    """`make`, remembered by its arguments; a call that finds it being made waits for it."""
    from functools import cache

    remembered, lock = cache(make), threading.Lock()

    def made(*args: Any) -> Any:
        with lock:
            return remembered(*args)

    return made


def _parse_each_update_expression_once() -> None:
    """moto parses an UpdateItem's expression twice per call, and counts its clauses and looks
    for overlapping paths at every level of the parse tree (every clause node is an
    `UpdateExpression` too: quadratic in the clauses, most of an alert upsert's time). Here each
    expression text is parsed once (the validators work on a copy, the rest only reads it) and
    both checks run once, at the root, which sees every clause: an expression one of them refuses
    is refused the same way (with two overlapping pairs of paths, the message may name the other)."""
    from functools import cache

    from moto.dynamodb.parsing import ast_nodes, expressions
    from moto.dynamodb.parsing.validators import ActionCountValidator, OverlappingPathsValidator

    parser: Any = getattr(expressions, "UpdateExpressionParser")  # noqa: B009  (moto leaves it untyped)
    root_type: Any = getattr(ast_nodes, "UpdateExpression")  # noqa: B009
    parser.make = cache(parser.make)

    def at_the_root(check: str) -> Callable[[Any, Any], Any]:
        return lambda self, node: getattr(self, check)(node) if isinstance(node, root_type) else node

    counter: Any = ActionCountValidator
    counter.traverse = at_the_root("verify_action_counts")
    overlaps: Any = OverlappingPathsValidator
    overlaps.traverse = at_the_root("check_for_overlapping_paths")


def _query_without_sorting_the_whole_table() -> None:
    """moto answers a Query by sorting every item of the table (comparing DynamoDB values through
    their Python casts), keeping those of the partition or index key asked for, and sorting those
    again: each Query grew with the table, the ladder's queries most, with thousands of alerts
    stored. The second sort orders the answer completely (by the sort key, and for an index by the
    index keys and then the table's keys), so the first one changes nothing: here a Query on the
    table starts from its partition's items, and a Query on an index from the items unsorted.
    A Scan still pages through the table in moto's order."""
    import inspect

    from moto.dynamodb.models.table import Table

    original_query, original_all_items = Table.query, Table.all_items
    parameters = inspect.signature(original_query)
    asked: ContextVar[tuple[Any, Any] | None] = ContextVar("vigil_local_query", default=None)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = parameters.bind(self, *args, **kwargs).arguments
        on_the_table = arguments.get("index_name") is None
        token = asked.set((self, arguments["hash_key"] if on_the_table else None))
        try:
            return original_query(self, *args, **kwargs)
        finally:
            asked.reset(token)

    def all_items(self: Any) -> list[Any]:
        query_of = asked.get()
        if query_of is None or query_of[0] is not self:
            return original_all_items(self)
        hash_key = query_of[1]
        if hash_key is None:
            partitions = list(self.items.values())
        else:
            partitions = [self.items[hash_key]] if hash_key in self.items else []
        if not self.range_key_attr:
            return partitions
        return [item for partition in partitions for item in partition.values()]

    table: Any = Table
    table.query, table.all_items = query, all_items


def _check_retention_without_listing_queue_attributes() -> None:
    """moto's ReceiveMessage checks each queued message's retention by listing all of the
    queue's attributes (a dict built anew) for the one it needs: with a burst's deliveries
    queued, a tenth of the drain. Here the check reads the queue's retention period itself."""
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    def retained(self: Any, queue_name: str, message: Any) -> bool:
        retention = self.get_queue(queue_name).message_retention_period
        return bool(retention + message.sent_timestamp / 1000 > unix_time())

    backend: Any = SQSBackend
    backend.is_message_valid_based_on_retention_period = retained


def _size_and_copy_item_values_as_they_are() -> None:
    """moto checks an item's 400 KB limit at every attribute an update sets, by sizing the whole
    item again, and builds a new value object for each member of each map on the way; it copies
    an item twice per UpdateItem (the old image), each value through `copy.deepcopy`'s dispatch.
    An alert's list of arrivals made a duplicate's upsert two and a half times slower as it grew.
    Here a value's size is the same sum and its copy the same tree, counted and built on the
    values as they are (moto's own are kept as `__wrapped__`, for the tests to compare)."""
    from moto.dynamodb.models import dynamo_type

    value_class: Any = dynamo_type.DynamoType
    sets = {"SS", "NS", "BS"}

    @wraps(value_class.size)
    def size(value: Any) -> int:
        kind, raw = value.type, value.value
        if kind == "S":  # most values, and every arrival: no call below
            return len(raw.encode("utf-8"))
        if kind == "N":
            return len(str(raw))
        if kind in sets:
            return sum(len(str(member)) if kind == "NS" else _bytesize(member) for member in raw)
        if kind == "L":
            return sum(size(as_value(member)) for member in raw)
        if kind == "M":
            return sum(_bytesize(name) + size(as_value(member)) for name, member in raw.items())
        return 1 if isinstance(raw, bool) else _bytesize(raw)

    def as_value(member: Any) -> Any:  # moto rebuilds a map's members, so a raw one sizes too
        return member if type(member) is value_class else value_class(member)

    @wraps(value_class.__deepcopy__)
    def copy_of(value: Any, memo: dict[int, Any]) -> Any:
        known = memo.get(id(value))
        if known is not None:
            return known
        twin = object.__new__(value_class)
        memo[id(value)] = twin
        twin.type, raw = value.type, value.value
        if twin.type == "L":
            twin.value = [member_copy(member, memo) for member in raw]
        elif twin.type == "M":
            twin.value = {name: member_copy(member, memo) for name, member in raw.items()}
        else:
            twin.value = list(raw) if twin.type in sets else raw
        return twin

    def member_copy(member: Any, memo: dict[int, Any]) -> Any:
        return copy_of(member, memo) if type(member) is value_class else copy.deepcopy(member, memo)

    value_class.size, value_class.__deepcopy__ = size, copy_of


def _bytesize(text: str | bytes) -> int:
    return len(text if isinstance(text, bytes) else text.encode("utf-8"))


def _list_each_handler_s_methods_once() -> None:
    """moto lists a response handler's methods (`inspect.getmembers` of its class) at every call,
    to check that the action is one of them; a class's methods do not change while it serves."""
    from functools import cache

    from moto.core import responses

    setattr(responses, "method_names_from_class", cache(responses.method_names_from_class))  # noqa: B010


def _look_up_each_node_class_once() -> None:
    """moto's expression validators walk the parse tree about ten times per UpdateItem (twice
    that for a new item), and at every node ask `isinstance` of abstract classes (through
    ABCMeta each time) whether it is a node and which of their processors takes it, building the
    tuple of types anew at every node (its docstring says "cached"; it is not): the largest
    share of an alert upsert's time in moto. A node's class decides both answers, so here they
    are looked up once per class; the walk is otherwise moto's own (same order, same hooks)."""
    from moto.dynamodb.parsing import ast_nodes

    node_class: type = getattr(ast_nodes, "Node")  # noqa: B009  (moto leaves it untyped)
    is_a_node: dict[type, bool] = {}
    processed_as: dict[tuple[type, type], type | None] = {}

    def processor_class(traverser: Any, kind: type) -> type | None:
        key = (type(traverser), kind)
        if key not in processed_as:  # the first match, in the map's order, as moto's `process`
            processed_as[key] = next((c for c in traverser._processing_map() if issubclass(kind, c)), None)
        return processed_as[key]

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        kind = type(node)
        known = is_a_node.get(kind)
        if known is None:
            known = is_a_node[kind] = issubclass(kind, node_class)
        if not known:
            return node
        parent_node = node.parent
        if node.children is not None:
            for i, child_node in enumerate(node.children):
                self.pre_processing_of_child(node, i)
                self.traverse_node_recursively(child_node, i)
        processed = processor_class(self, kind)
        if processed is not None:
            node = self._processing_map()[processed](node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        return node

    traverser: Any = getattr(ast_nodes, "DepthFirstTraverser")  # noqa: B009
    traverser.traverse_node_recursively = traverse_node_recursively


def _copy_parse_trees_by_their_structure() -> None:
    """moto's update validators work on a deep copy of the expression's parse tree (they replace
    its placeholders): `copy.deepcopy` of a tree of a few dozen nodes was a quarter of an alert
    upsert's time in moto. A parse tree's nodes hold only their type name, their parent and their
    children (nodes, strings and numbers), so copying that structure is the same copy."""
    from moto.dynamodb.parsing import ast_nodes, validators

    node_class: type = getattr(ast_nodes, "Node")  # noqa: B009  (moto leaves it untyped)

    def copy_of(value: Any) -> Any:
        return _tree_copy(value, node_class, None) if isinstance(value, node_class) else copy.deepcopy(value)

    setattr(validators, "deepcopy", copy_of)  # noqa: B010  (the name their module imported)


def _tree_copy(node: Any, node_type: type, parent: Any) -> Any:
    twin = object.__new__(type(node))
    twin.__dict__.update(node.__dict__)
    twin.parent = parent
    if node.children is not None:
        twin.children = [
            _tree_copy(child, node_type, twin) if isinstance(child, node_type) else child
            for child in node.children
        ]
    return twin


def _serialise_attribute_values_as_they_are() -> None:
    """moto serialises a response by walking its output shape member by member, asking a picker
    for each member's value under each name it may have: for DynamoDB that is every attribute of
    every item returned, and every nested value (15% of an ingest answer's samples). A DynamoDB
    AttributeValue already is its JSON ({"S": ...}, {"M": {...}}): it is copied as it is, binary
    values base64-encoded as the walk encodes them. Every other shape still takes the walk."""

    from moto.core.serialize import BaseJSONSerializer

    walk = BaseJSONSerializer._serialize_type_structure

    @wraps(walk)
    def serialise(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if _is_a_dynamodb_attribute_value(self, value, shape):
            self._default_serialize(serialized, attribute_value_json(value, self._base64), shape, key)
            return
        walk(self, serialized, value, shape, key)

    serializer: Any = BaseJSONSerializer
    serializer._serialize_type_structure = serialise


def _is_a_dynamodb_attribute_value(serializer: Any, value: Any, shape: Any) -> bool:
    return (
        shape.name == "AttributeValue"
        and isinstance(value, dict)
        and len(value) == 1
        and serializer.operation_model.service_model.service_name == "dynamodb"
    )


def attribute_value_json(value: dict[str, Any], base64: Callable[[Any], str]) -> dict[str, Any]:
    """One AttributeValue as DynamoDB answers it (what moto's shape walk makes of it)."""
    ((kind, inner),) = value.items()
    if kind in ("S", "N"):
        return {kind: str(inner)}
    if kind in ("SS", "NS"):
        return {kind: [str(member) for member in inner]}
    if kind == "B":
        return {kind: base64(inner)}
    if kind == "BS":
        return {kind: [base64(member) for member in inner]}
    if kind == "M":
        return {kind: {name: attribute_value_json(member, base64) for name, member in inner.items()}}
    if kind == "L":
        return {kind: [attribute_value_json(member, base64) for member in inner]}
    return {kind: inner}  # BOOL, NULL
