"""Form fields shared by several apps."""

from django import forms

MAX_LIST_ITEMS = 15
MAX_LIST_ITEM_LENGTH = 40


class CommaListField(forms.CharField):
    """“Procreate, Blender, Photoshop” -> ["Procreate", "Blender", "Photoshop"], de-duplicated."""

    def __init__(self, *, max_items: int = MAX_LIST_ITEMS, **kwargs):
        self.max_items = max_items
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("help_text", "Separate with commas.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def clean(self, value):
        raw = super().clean(value)
        items, seen = [], set()
        for item in (part.strip() for part in raw.split(",")):
            if not item or item.lower() in seen:
                continue
            if len(item) > MAX_LIST_ITEM_LENGTH:
                raise forms.ValidationError(
                    "“%(item)s…” is longer than %(max)s characters.",
                    code="item_too_long",
                    params={"item": item[:20], "max": MAX_LIST_ITEM_LENGTH},
                )
            seen.add(item.lower())
            items.append(item)
        if len(items) > self.max_items:
            raise forms.ValidationError("At most %(max)s items.", code="too_many_items", params={"max": self.max_items})
        return items
