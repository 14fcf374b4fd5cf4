"""C++ expressions and statements for one field: its type, default, version conditions, encode and decode.

Conditions are folded in Python: `version_cond` returns True (always), False (never) or a C++ boolean expression,
so a field present in every version of a message gets no `if`, and one never present gets no code at all.
"""

from cpp_model import INTEGER_RANGES, PRIMITIVES

NUMERIC_WRITERS = {"bool": "boolean", "int8": "int8", "int16": "int16", "uint16": "uint16", "int32": "int32",
                   "uint32": "uint32", "int64": "int64", "float64": "float64", "uuid": "uuid_"}


def version_cond(rng, within):
    """True / False / C++ expression for "version is in rng", assuming the version is already in `within`."""
    r = rng & within
    if r.empty():
        return False
    if r == within:
        return True
    parts = []
    if r.lo > within.lo:
        parts.append(f"version >= {r.lo}")
    if r.hi < within.hi:
        parts.append(f"version <= {r.hi}")
    return " && ".join(parts)


def cond_text(c):
    return "true" if c is True else "false" if c is False else c


def guarded(cond, lines, indent="  "):
    """`lines` run only when cond holds."""
    if cond is False:
        return []
    if cond is True:
        return lines
    if len(lines) == 1 and len(lines[0]) + len(cond) < 106:
        return [f"if ({cond}) {lines[0]}"]
    return [f"if ({cond}) {{"] + [indent + l for l in lines] + ["}"]


def if_else(cond, then_lines, else_lines, indent="  "):
    if cond is True:
        return then_lines
    if cond is False:
        return else_lines
    return ([f"if ({cond}) {{"] + [indent + l for l in then_lines] + ["} else {"] +
            [indent + l for l in else_lines] + ["}"])


# ---- types and defaults -------------------------------------------------------------------------------------------

# The view codecs (`*_view`) hold views into the input instead of copies, and view_vector instead of std::vector.
VIEW_TYPES = {"string": "std::string_view", "bytes": "bytes_view", "records": "bytes_view"}


def primitive_type(json_type, view):
    return VIEW_TYPES[json_type] if view and json_type in VIEW_TYPES else PRIMITIVES[json_type][0]


def element_type(f, view=False):
    return primitive_type(f.element, view) if f.element else f.struct.cname


def cpp_type(f, msg, view=False):
    nullable = f.nullable_anywhere(msg.valid)
    if f.kind == "primitive":
        t = primitive_type(f.json_type, view)
        if f.json_type == "records":
            return f"std::optional<{t}>"  # raw RecordBatch bytes; the record layer parses them
        return f"std::optional<{t}>" if nullable and f.json_type in ("string", "bytes") else t
    array = "view_vector" if view else "std::vector"
    inner = f"{array}<{element_type(f, view)}>" if f.kind == "array" else f.struct.cname
    return f"std::optional<{inner}>" if nullable else inner


def integer_literal(json_type, value):
    lo, hi = INTEGER_RANGES[json_type]
    t = PRIMITIVES[json_type][0]
    if value == lo and lo < 0:
        return f"std::numeric_limits<{t}>::min()"
    if value == hi and json_type in ("int32", "int64", "uint32"):
        return f"std::numeric_limits<{t}>::max()"
    return str(value)


def cpp_string_literal(s):
    out = []
    for ch in s:
        if ch in '\\"':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


def default_init(f, msg, view=False):
    """The default member initialiser (after `=`), or None for value/default construction."""
    nullable = f.nullable_anywhere(msg.valid)
    if f.kind == "primitive":
        t = f.json_type
        if t == "bool":
            return "true" if f.default else "false"
        if t in INTEGER_RANGES:
            return integer_literal(t, f.default)
        if t == "float64":
            return repr(float(f.default))
        if t == "string":
            if f.default is None:
                return "std::nullopt"
            return cpp_string_literal(f.default) if (f.default or nullable) else None
        if t == "bytes":
            # Kafka's default is the empty array, not null
            return ("bytes_view{}" if view else "byte_buffer{}") if nullable else None
        return None  # uuid: zero; records: null
    if f.kind == "array" and nullable and f.default != "null":
        # Kafka's default for arrays is empty, even when nullable
        return f"{'view_vector' if view else 'std::vector'}<{element_type(f, view)}>{{}}"
    return None


def member_declaration(f, msg, view=False):
    t = cpp_type(f, msg, view)
    init = default_init(f, msg, view)
    if init is not None:
        return f"{t} {f.cname} = {init};"
    if f.json_type == "uuid" and f.kind == "primitive":
        return f"{t} {f.cname}{{}};"
    return f"{t} {f.cname};"


def differs_from_default(f, msg, expr, view=False):
    """C++ condition: the field holds something other than its default (tagged fields are omitted otherwise)."""
    init = default_init(f, msg, view)
    if f.kind == "primitive" and (f.json_type in INTEGER_RANGES or f.json_type in ("bool", "float64")):
        return f"{expr} != {init}"
    t = cpp_type(f, msg, view)
    if init is None and f.kind == "array" and not t.startswith("std::optional"):
        return f"!{expr}.empty()"
    if init == "std::nullopt":
        return f"{expr}.has_value()"
    default = f"{t}{{}}" if init is None else f"{t}({init})"
    return f"!detail::view_equal({expr}, {default})" if view else f"{expr} != {default}"


# ---- encoding -----------------------------------------------------------------------------------------------------

def write_primitive(json_type, expr, w, flex, optional_type, nullable_now):
    if json_type in NUMERIC_WRITERS:
        return f"{w}.{NUMERIC_WRITERS[json_type]}({expr});"
    kind = "string" if json_type == "string" else "bytes"
    if json_type == "records" or optional_type:
        if nullable_now:
            return f"detail::write_nullable_{kind}({w}, {expr}, {flex});"
        return f"detail::write_{kind}({w}, detail::value_or_empty({expr}), {flex});"
    return f"detail::write_{kind}({w}, {expr}, {flex});"


def encode_lines(f, msg, expr, w, flex, nullable_cond):
    """Statements writing field value `expr` to writer `w`; nullable_cond says when null is allowed on the wire."""
    optional_type = cpp_type(f, msg).startswith("std::optional")

    def one(nullable_now):
        if f.kind == "primitive":
            return [write_primitive(f.json_type, expr, w, flex, optional_type, nullable_now)]
        if f.kind == "array":
            arg = f"detail::value_or_empty({expr})" if optional_type and not nullable_now else expr
            nullable = "nullable_" if optional_type and nullable_now else ""
            if not f.element:
                return [f"detail::write_{nullable}structs({w}, {arg}, {flex}, version);"]
            if f.element == "string" and not nullable:
                return [f"detail::write_strings({w}, {arg}, {flex});"]
            body = write_primitive(f.element, "e", "ew", flex, False, False)
            lam = f"[&](writer& ew, const auto& e) {{ {body} }}"
            return [f"detail::write_{nullable}array({w}, {arg}, {flex}, {lam});"]
        if optional_type and nullable_now:
            return [f"detail::write_nullable_struct({w}, {expr}, version);"]
        arg = f"detail::value_or_empty({expr})" if optional_type else expr
        return [f"{arg}.encode({w}, version);"]

    if nullable_cond is True or nullable_cond is False:
        return one(nullable_cond)
    return if_else(nullable_cond, one(True), one(False))


# ---- decoding -----------------------------------------------------------------------------------------------------

READERS = {"bool": "boolean", "int8": "int8", "int16": "int16", "uint16": "uint16", "int32": "int32",
           "uint32": "uint32", "int64": "int64", "float64": "float64", "uuid": "uuid_"}


def read_primitive(json_type, target, r, flex, nullable_now, view=False):
    if json_type in READERS:
        return f"{target} = {r}.{READERS[json_type]}();"
    kind = ("string" if json_type == "string" else "bytes") + ("_ref" if view else "")
    if nullable_now:
        return f"{target} = detail::read_nullable_{kind}({r}, {flex});"
    return f"{target} = detail::read_{kind}({r}, {flex});"


def decode_lines(f, msg, target, r, flex, nullable_cond, min_elem, view=False):
    """Statements reading field `target` from reader `r`. In a view, an optional array that must be present is
    engaged in place (detail::engaged keeps the capacity of one engaged before) rather than re-emplaced."""
    optional_type = cpp_type(f, msg, view).startswith("std::optional")

    def one(nullable_now):
        if f.kind == "primitive":
            return [read_primitive(f.json_type, target, r, flex, nullable_now and optional_type, view)]
        if f.kind == "array":
            engage = f"detail::engaged({target})" if view else f"{target}.emplace()"
            dest = engage if optional_type and not nullable_now else target
            nullable = "nullable_" if optional_type and nullable_now else ""
            if not f.element:
                return [f"detail::read_{nullable}structs({r}, {dest}, {flex}, {min_elem}, version);"]
            if f.element == "string" and not nullable:
                return [f"detail::read_strings({r}, {dest}, {flex}, {min_elem});"]
            body = read_primitive(f.element, "e", "er", flex, False, view)
            lam = f"[&](reader& er, auto& e) {{ {body} }}"
            return [f"detail::read_{nullable}array({r}, {dest}, {flex}, {min_elem}, {lam});"]
        if optional_type and nullable_now:
            return [f"detail::read_nullable_struct({r}, {target}, version);"]
        dest = (f"detail::engaged({target})" if view else f"{target}.emplace()") if optional_type else target
        return [f"{dest}.decode({r}, version);"]

    if nullable_cond is True or nullable_cond is False:
        return one(nullable_cond)
    return if_else(nullable_cond, one(True), one(False))


# ---- sizes --------------------------------------------------------------------------------------------------------

def min_primitive_size(json_type, flexible):
    fixed = PRIMITIVES[json_type][1]
    if fixed is not None:
        return fixed
    if flexible:
        return 1  # a varint length
    return 2 if json_type == "string" else 4


def min_field_size(f, msg, v):
    flexible = v in msg.field_flexible(f)
    if f.kind == "primitive":
        return min_primitive_size(f.json_type, flexible)
    if f.kind == "array":
        return 1 if flexible else 4
    if v in f.nullable:
        return 1
    return min_struct_size(f.struct, msg, v)


def min_struct_size(s, msg, v):
    total = sum(min_field_size(f, msg, v) for f in s.fields if v in f.regular)
    return total + (1 if v in msg.flexible else 0)


def min_element_size(f, msg):
    """A lower bound on one element's encoded size over every version the array exists in."""
    present = f.versions & msg.valid
    sizes = []
    for v in range(present.lo, min(present.hi, msg.valid.hi) + 1):
        if f.element:
            sizes.append(min_primitive_size(f.element, v in msg.field_flexible(f)))
        else:
            sizes.append(min_struct_size(f.struct, msg, v))
    size = min(sizes)
    if size < 1:
        raise ValueError(f"{msg.json_name}.{f.json_name}: elements can be empty; a count bound is impossible")
    return size

