"""The message model: Kafka's JSON schema language parsed into messages, structs and fields with C++ names.

Everything version-related is a `Versions` range. Helpers here answer the questions the emitters ask ("is this
field on the wire in version v, and in which form?") so that emitters only deal with C++ text.
"""

import re
from dataclasses import dataclass, field as dc_field

INT16_MAX = 32767

PRIMITIVES = {
    # json type: (C++ type, fixed wire size or None for variable-size)
    "bool": ("bool", 1), "int8": ("std::int8_t", 1), "int16": ("std::int16_t", 2), "uint16": ("std::uint16_t", 2),
    "int32": ("std::int32_t", 4), "uint32": ("std::uint32_t", 4), "int64": ("std::int64_t", 8),
    "float64": ("double", 8), "uuid": ("uuid", 16), "string": ("std::string", None),
    "bytes": ("byte_buffer", None), "records": ("byte_buffer", None),
}
INTEGER_RANGES = {
    "int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "uint16": (0, 2**16 - 1),
    "int32": (-2**31, 2**31 - 1), "uint32": (0, 2**32 - 1), "int64": (-2**63, 2**63 - 1),
}
CPP_KEYWORDS = set("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield
decltype default delete do double dynamic_cast else enum explicit export extern false float for friend goto if
inline int long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
register reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch
template this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
wchar_t while xor xor_eq""".split())
# Member names every generated struct uses; a field with one of these names gets a trailing underscore.
# (The view structs add reset, assign and to_owning; reserved in both, so that a field is named alike in both.)
STRUCT_MEMBERS = {"encode", "decode", "unknown_tags", "reset", "assign", "to_owning"}
TOP_LEVEL_MEMBERS = STRUCT_MEMBERS | {"api_key", "min_version", "max_version", "first_flexible_version",
                                      "latest_version_unstable", "message_name", "response_type", "owning_type"}


@dataclass(frozen=True)
class Versions:
    lo: int
    hi: int  # inclusive; INT16_MAX means open-ended ("3+")

    @staticmethod
    def parse(text):
        text = str(text).strip()
        if text == "none":
            return NO_VERSIONS
        if text.endswith("+"):
            return Versions(int(text[:-1]), INT16_MAX)
        if "-" in text:
            lo, hi = text.split("-")
            return Versions(int(lo), int(hi))
        return Versions(int(text), int(text))

    def empty(self):
        return self.lo > self.hi

    def __and__(self, other):
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))

    def covers(self, other):
        return other.empty() or (self.lo <= other.lo and other.hi <= self.hi)

    def __contains__(self, v):
        return self.lo <= v <= self.hi

    def below(self, v):
        """The part of this range below version v."""
        return Versions(self.lo, min(self.hi, v - 1))

    def __str__(self):
        if self.empty():
            return "none"
        if self.hi == INT16_MAX:
            return f"{self.lo}+"
        return f"{self.lo}" if self.lo == self.hi else f"{self.lo}-{self.hi}"


NO_VERSIONS = Versions(1, 0)


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


@dataclass
class Field:
    json_name: str
    cname: str
    json_type: str
    kind: str                  # "primitive", "array", "struct"
    versions: Versions
    nullable: Versions
    tagged: Versions           # versions in which the field is a tagged field (NO_VERSIONS if never)
    tag: int | None
    default: object
    ignorable: bool
    flexible_override: Versions | None  # the field's own "flexibleVersions" ("none" for RequestHeader.ClientId)
    about: str
    element: str | None = None     # primitive element type of a primitive array
    struct: "Struct | None" = None  # struct type of a struct or struct-array field

    @property
    def regular(self):
        """Versions in which the field is an ordinary (untagged) field of the body."""
        return self.versions.below(self.tagged.lo) if not self.tagged.empty() else self.versions

    @property
    def tagged_present(self):
        return self.versions & self.tagged

    @property
    def prim(self):
        return self.json_type if self.kind == "primitive" else None

    def nullable_anywhere(self, valid):
        return not (self.nullable & self.versions & valid).empty()


@dataclass
class Struct:
    json_name: str
    cname: str = ""
    qualified: str = ""          # C++ name from namespace scope, e.g. produce_request::topic_produce_data
    fields: list = dc_field(default_factory=list)
    nested: list = dc_field(default_factory=list)  # structs declared inside this one
    about: str = ""


@dataclass
class Message:
    json_name: str
    cname: str
    kind: str                  # "request", "response", "header"
    api_key: int | None
    valid: Versions
    flexible: Versions
    unstable: bool
    root: Struct
    commons: list              # common structs, declared at the top of the root struct
    source_file: str
    view: bool = False         # also generate the <cname>_view twin (manifest `view`)

    def all_structs(self):
        """Every struct, nested ones before the structs containing them."""
        out = []

        def walk(s):
            for n in s.nested:
                walk(n)
            out.append(s)
        for c in self.commons:
            walk(c)
        walk(self.root)
        return out

    def field_flexible(self, f):
        """Versions in which field f uses the compact encodings."""
        return self.flexible & f.flexible_override if f.flexible_override is not None else self.flexible


def parse_default(raw, f_type, nullable_anywhere):
    """A field's "default" as a Python value (None = null); Kafka's implicit defaults when absent."""
    if raw is None:
        if f_type == "bool":
            return False
        if f_type in INTEGER_RANGES or f_type == "float64":
            return 0
        return "" if f_type == "string" else None
    if f_type == "bool":
        return raw if isinstance(raw, bool) else str(raw) == "true"
    if f_type in INTEGER_RANGES:
        if isinstance(raw, int):
            value = raw
        else:
            text = raw.strip()
            neg = text.startswith("-")
            digits = text.lstrip("-")
            if digits.lower().startswith("0x"):
                value = int(digits, 16)
            elif len(digits) > 1 and digits.startswith("0"):
                value = int(digits, 8)
            else:
                value = int(digits)
            value = -value if neg else value
        lo, hi = INTEGER_RANGES[f_type]
        if not lo <= value <= hi:
            raise ValueError(f"default {raw!r} out of range for {f_type}")
        return value
    if f_type == "float64":
        return float(raw)
    if f_type == "string":
        if raw == "null":
            if not nullable_anywhere:
                raise ValueError("null default on a non-nullable string")
            return None
        return raw
    raise ValueError(f"custom default not supported for type {f_type}")


class _Builder:
    def __init__(self, doc, source_file):
        self.doc = doc
        self.source_file = source_file
        self.valid = Versions.parse(doc["validVersions"])
        self.common_defs = {c["name"]: c for c in doc.get("commonStructs", [])}
        self.commons = {}
        self.all_field_names = set()

    def struct(self, json_name, fields_json, about=""):
        s = Struct(json_name=json_name, about=about)
        s.fields = [self.field(fj, s) for fj in fields_json]
        return s

    def field(self, fj, parent):
        t = fj["type"]
        versions = Versions.parse(fj["versions"])
        nullable = Versions.parse(fj.get("nullableVersions", "none"))
        tagged = Versions.parse(fj.get("taggedVersions", "none"))
        if "tag" in fj and tagged.empty():
            raise ValueError(f"{fj['name']}: tag without taggedVersions")
        flex = Versions.parse(fj["flexibleVersions"]) if "flexibleVersions" in fj else None
        f = Field(json_name=fj["name"], cname=snake(fj["name"]), json_type=t, kind="primitive", versions=versions,
                  nullable=nullable, tagged=tagged, tag=fj.get("tag"), default=None,
                  ignorable=bool(fj.get("ignorable", False)), flexible_override=flex, about=fj.get("about", ""))
        elem = t[2:] if t.startswith("[]") else None
        base = elem if elem is not None else t
        if base in PRIMITIVES:
            if elem is not None:
                f.kind, f.element = "array", elem
            elif "fields" in fj:
                raise ValueError(f"{f.json_name}: primitive type with fields")
        else:
            f.kind = "array" if elem is not None else "struct"
            if "fields" in fj:
                f.struct = self.struct(base, fj["fields"], fj.get("about", ""))
                parent.nested.append(f.struct)
            elif base in self.common_defs:
                if base not in self.commons:
                    c = self.common_defs[base]
                    self.commons[base] = self.struct(base, c["fields"], c.get("about", ""))
                f.struct = self.commons[base]
            else:
                raise ValueError(f"{f.json_name}: unknown type {t}")
        if f.kind == "primitive":
            f.default = parse_default(fj.get("default"), t, f.nullable_anywhere(self.valid))
        elif fj.get("default") not in (None, "null"):
            raise ValueError(f"{f.json_name}: custom default on {t}")
        else:
            f.default = fj.get("default")  # "null" (nullable array/struct defaulting to null) or None
        self.all_field_names.add(f.cname)
        return f


def _assign_names(msg, builder):
    """C++ names: snake_case everywhere. A nested type whose name equals any field name of the message gets a
    `_data` suffix (`replica_state replica_state;` inside one class is ill-formed in C++)."""
    taken_types = set()

    def type_name(s):
        base = snake(s.json_name)
        name = base + "_data" if base in builder.all_field_names else base
        while name in taken_types and not s.cname:
            name += "_"
        return name

    def fix_fields(s, top):
        reserved = TOP_LEVEL_MEMBERS if top else STRUCT_MEMBERS
        nested_names = {n.cname for n in s.nested} | ({c.cname for c in msg.commons} if top else set())
        for f in s.fields:
            if f.cname in CPP_KEYWORDS or f.cname in reserved or f.cname in nested_names:
                f.cname += "_"

    def walk(s, qualified_parent, top):
        for n in s.nested:
            if not n.cname:
                n.cname = type_name(n)
                taken_types.add(n.cname)
            n.qualified = f"{qualified_parent}::{n.cname}"
            walk(n, n.qualified, False)
        fix_fields(s, top)

    msg.root.cname = msg.cname
    msg.root.qualified = msg.cname
    for c in msg.commons:
        c.cname = type_name(c)
        taken_types.add(c.cname)
        c.qualified = f"{msg.cname}::{c.cname}"
    for c in msg.commons:
        walk(c, c.qualified, False)
    walk(msg.root, msg.cname, True)


def load_message(doc, source_file):
    kind = doc["type"]
    if kind not in ("request", "response", "header"):
        raise ValueError(f"{source_file}: unsupported message type {kind}")
    b = _Builder(doc, source_file)
    root = b.struct(doc["name"], doc["fields"])
    msg = Message(json_name=doc["name"], cname=snake(doc["name"]), kind=kind, api_key=doc.get("apiKey"),
                  valid=b.valid, flexible=Versions.parse(doc.get("flexibleVersions", "none")),
                  unstable=bool(doc.get("latestVersionUnstable", False)), root=root,
                  commons=list(b.commons.values()), source_file=source_file)
    _assign_names(msg, b)
    return msg
