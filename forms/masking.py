"""A form's values as they may be shown: personal data masked by each field's type (SPEC §7)."""

from __future__ import annotations

from hudang.forms.definitions import FormRegistry
from hudang.forms.values import mask_id, mask_phone, mask_text


def mask_name(name: str) -> str:
    """A file name (or path) as it may be shown: only digits that form a valid ID number (birth date and
    check digit) or a phone number are masked, so a timestamp like ``201709141528061846`` stays readable."""
    return mask_text(name, valid_ids_only=True)


def masked_values(values: dict[str, str], form_id: str, forms: FormRegistry) -> dict[str, str]:
    """Values in the form's field order; IDs 6+4, mobiles 3+4, landlines area code + 4, free text scanned."""
    try:
        form = forms.by_id(form_id)
    except KeyError:
        return {k: mask_text(v) for k, v in values.items()}
    out = {}
    order = {f.name: i for i, f in enumerate(form.fields)}
    for name, value in sorted(values.items(), key=lambda kv: order.get(kv[0], len(order))):
        try:
            f = form.field(name)
        except KeyError:
            out[name] = mask_text(value)
            continue
        if f.type == "phone":
            out[name] = mask_phone(value)
        elif f.type == "id_number":
            out[name] = mask_id(value, values.get(f.id_type_field or "") or None)
        else:
            out[name] = mask_text(value)
    return out
