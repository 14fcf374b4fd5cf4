"""The view twin of a message (manifest `view`): `<name>_view`, declared after the owning struct in the same header.

A view has the owning struct's fields and nesting, but strings and bytes are views into the decoded input (or into
whatever the caller points them at before encoding), arrays are view_vector (reused from one decode to the next),
and unknown tagged fields are skipped rather than kept. Encoding writes the bytes the owning codec writes for the
same values with no unknown tags; decoding does every check the owning decoder does. docs/protocol.md, "View
codecs", says what a caller may rely on.
"""

import cpp_emit as emit  # its layout helpers; cpp_emit imports this module too, so only call-time lookups
from cpp_exprs import decode_lines, differs_from_default, encode_lines, guarded, if_else, member_declaration, \
    min_element_size, version_cond

HEADER_CONSTANTS = ("message_name", "api_key", "min_version", "max_version", "first_flexible_version",
                    "latest_version_unstable")


def view_name(msg):
    return msg.cname + "_view"


def view_qualified(s, msg):
    """produce_request::topic_produce_data -> produce_request_view::topic_produce_data."""
    return view_name(msg) + s.qualified[len(msg.cname):]


def view_reset_line(f, msg):
    init = None
    decl = member_declaration(f, msg, view=True)
    t = decl.split(f" {f.cname}", 1)[0]
    if " = " in decl:
        init = decl.split(" = ", 1)[1].rstrip(";")
    if f.kind == "array":
        if t.startswith("std::optional"):
            if init is None:
                return f"{f.cname}.reset();"  # defaults to null
            return f"if ({f.cname}) {f.cname}->clear(); else {f.cname}.emplace();"
        return f"{f.cname}.clear();"
    if f.kind == "struct":
        return f"{f.cname}.reset();"
    if init is not None:
        return f"{f.cname} = {init};"
    return f"{f.cname} = {t}{{}};"


def declare_view(msg, partner):
    """The `<name>_view` struct declaration."""
    text = (f"{msg.json_name} as views: strings and bytes point into the decoded input (or wherever the caller "
            "pointed them), arrays are reused by the next decode, unknown tagged fields are skipped. Encodes to the "
            f"bytes {msg.cname} gives for the same values without unknown tags. Fields: see {msg.cname}.")
    return emit.comment(text, "") + declare_view_struct(msg.root, msg, "", True, partner)


def declare_view_struct(s, msg, indent, top, partner, parent=None):
    name = view_name(msg) if top else s.cname
    out = [f"{indent}struct {name} {{"]
    inner = indent + "  "
    owning = s.qualified if top else f"{parent}::owning_type::{s.cname}"  # the parent view's name is in scope
    out.append(f"{inner}using owning_type = {owning};")
    if top:
        out += [f"{inner}static constexpr auto {c} = {msg.cname}::{c};" for c in HEADER_CONSTANTS]
        if partner is not None:
            response = view_name(partner) if partner.view else partner.cname
            out.append(f"{inner}using response_type = {response};")
        out.append("")
        for c in msg.commons:
            out += declare_view_struct(c, msg, inner, False, None, name) + [""]
    for n in s.nested:
        out += [""] * (not top and n is s.nested[0]) + declare_view_struct(n, msg, inner, False, None, name) + [""]
    for f in s.fields:
        out.append(f"{inner}{member_declaration(f, msg, view=True)}")
    out += ["",
            f"{inner}// Back to the defaults; arrays keep their elements for reuse.",
            f"{inner}void reset();",
            f"{inner}void encode(writer& w, std::int16_t version) const;",
            f"{inner}// Overwrites *this with the struct read at `version` (views into r's input); returns r.error().",
            f"{inner}std::error_code decode(reader& r, std::int16_t version);",
            f"{inner}// Points every field at `m`'s (which must outlive this view).",
            f"{inner}void assign(const owning_type& m);",
            f"{inner}owning_type to_owning() const;"]
    terms = [f"detail::view_equal(a.{f.cname}, b.{f.cname})" for f in s.fields] or ["true"]
    out += [f"{inner}friend bool operator==(const {name}& a, const {name}& b) {{",
            f"{inner}  return " + f" &&\n{inner}         ".join(terms) + ";",
            f"{inner}}}"]
    out.append(f"{indent}}};")
    return "\n".join(out).split("\n")


def definition(ret, name, args, tail):
    """`inline ret name(args)tail`, broken before the name, then before the arguments or the tail, as needed."""
    for lines in ([f"inline {ret} {name}({args}){tail}"], [f"inline {ret}", f"{name}({args}){tail}"]):
        if all(len(l) <= emit.LINE for l in lines):
            return lines
    if args:
        return [f"inline {ret}", f"{name}(", f"    {args}){tail}"]
    return [f"inline {ret}", f"{name}()", f"    {tail.strip()}"]


def define_view_struct(s, msg, top):
    q = view_qualified(s, msg)
    out = [""] + definition("void", f"{q}::reset", "", " {")
    out += ["  " + view_reset_line(f, msg) for f in s.fields] + ["}"]
    out += [""] + define_view_encode(s, msg, top, q)
    out += [""] + define_view_decode(s, msg, top, q)
    out += [""] + definition("void", f"{q}::assign", "const owning_type& m", " {")
    out += [f"  detail::assign_view({f.cname}, m.{f.cname});" for f in s.fields] + ["}"]
    out += [""] + definition("auto", f"{q}::to_owning", "", " const -> owning_type {")
    out += ["  owning_type m;"] + [f"  m.{f.cname} = detail::owning_copy({f.cname});" for f in s.fields]
    out += ["  return m;", "}"]
    return out


def define_view_encode(s, msg, top, q):
    body = []
    if top:
        body.append("if (version < min_version || version > max_version) return;  // encode_message() reports it")
    body.append(emit.flexible_decl(msg))
    for f in s.fields:
        present = f.regular & msg.valid
        if present.empty():
            continue
        lines = encode_lines(f, msg, f.cname, "w", emit.field_flex(f, msg, present), version_cond(f.nullable, present))
        body += guarded(version_cond(present, msg.valid), lines)
    flex_range = msg.flexible & msg.valid
    if not flex_range.empty():
        tagged = emit.tagged_fields_of(s, msg)
        if not tagged:
            tags = ["w.int8(0);  // an empty tagged-field section"]
        else:
            tags, counted = [], []
            for f in tagged:
                present = f.tagged_present & msg.valid
                when = version_cond(present, flex_range)
                check = differs_from_default(f, msg, f.cname, view=True)
                tags.append(f"const bool tag{f.tag} = {check if when is True else f'{when} && {check}'};")
                counted.append(f"tag{f.tag}")
            tags.append(f"w.uvarint(static_cast<std::uint32_t>({' + '.join(counted)}));")
            for f in tagged:
                present = f.tagged_present & msg.valid
                write = encode_lines(f, msg, f.cname, "tw", emit.field_flex(f, msg, present),
                                     version_cond(f.nullable, present))
                put = f"  detail::write_tag(w, {f.tag}, [&](writer& tw) {{ {' '.join(write)} }});"
                if len(put) + 4 > emit.LINE:
                    put = "\n".join([f"  detail::write_tag(w, {f.tag}, [&](writer& tw) {{"] +
                                    [f"    {l}" for l in write] + ["  });"])
                tags += [f"if (tag{f.tag})", put]
        body += guarded(emit.flexible_guard(msg), tags)
    head = emit.signature(f"inline void {q}::encode(", "writer& w, [[maybe_unused]] std::int16_t version) const {")
    return head + ["  " + l for l in body] + ["}"]


def define_view_decode(s, msg, top, q):
    body = []
    if top:
        body += ["if (version < min_version || version > max_version) {",
                 "  r.fail(client_errc::unsupported_version);",
                 "  return r.error();",
                 "}"]
    # Each field is written once: read where `version` has it, set to its default where it does not (a tagged
    # field first gets its default, which its tag may then overwrite). No reset() pass: this is the hot path.
    body.append(emit.flexible_decl(msg))
    for f in s.fields:
        if not (f.tagged_present & msg.valid).empty():
            body.append(view_reset_line(f, msg))
    for f in s.fields:
        present = f.regular & msg.valid
        tagged = not (f.tagged_present & msg.valid).empty()
        if present.empty():
            if not tagged:
                body.append(view_reset_line(f, msg))
            continue
        min_elem = min_element_size(f, msg) if f.kind == "array" else None
        lines = decode_lines(f, msg, f.cname, "r", emit.field_flex(f, msg, present),
                             version_cond(f.nullable, present), min_elem, view=True)
        cond = version_cond(present, msg.valid)
        if cond is True or tagged:
            body += guarded(cond, lines)
        else:
            body += if_else(cond, lines, [view_reset_line(f, msg)])
    flex_range = msg.flexible & msg.valid
    if not flex_range.empty():
        tagged = emit.tagged_fields_of(s, msg)
        if not tagged:
            tags = ["r.skip_tagged();"]
        else:
            tags = ["r.tagged_skipping_unknown([&](std::uint32_t tag, reader& tr) {", "  switch (tag) {"]
            for f in tagged:
                present = f.tagged_present & msg.valid
                min_elem = min_element_size(f, msg) if f.kind == "array" else None
                read = decode_lines(f, msg, f.cname, "tr", emit.field_flex(f, msg, present),
                                    version_cond(f.nullable, present), min_elem, view=True)
                tags.append(f"    case {f.tag}:")
                when = version_cond(present, flex_range)
                if when is not True:
                    tags.append(f"      if (!({when})) return false;  // not known at this version")
                tags += ["      " + l for l in read]
                tags.append("      return detail::finish_known_tag(tr);")
            tags += ["    default:", "      return false;", "  }", "});"]
        body += guarded(emit.flexible_guard(msg), tags)
    body.append("return r.error();")
    return emit.signature(f"inline std::error_code {q}::decode(",
                          "reader& r, [[maybe_unused]] std::int16_t version) {") + ["  " + l for l in body] + ["}"]


def emit_view(msg, partner):
    """Declaration and definitions of the view twin, as header lines."""
    out = [""] + declare_view(msg, partner)
    for s in msg.all_structs():
        out += define_view_struct(s, msg, s is msg.root)
    return out

