"""Read an admin form out of a page the way a browser would submit it."""

from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields = []
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in SKIPPED_INPUTS:
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.fields.append([name, attrs.get("value", default)])
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attrs}
            self._select["options"] = []
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, ""]
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [o for o in options if o[1]]
            if not chosen and options and not self._select["multiple"]:
                chosen = options[:1]
            for value, _, text in chosen:
                self.fields.append(
                    [self._select["name"], value if value is not None else text]
                )
            self._select = self._option = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # Browsers drop the newline that follows <textarea>.
            self.fields.append([name, text.removeprefix("\n")])
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        elif self._option is not None:
            self._option[2] += data


def form_data(response, form_id):
    """Return the fields of the form ``form_id`` as a browser would post them.

    Values are lists, so select-multiple fields keep every choice; the empty
    forms the admin keeps for "Add another" are left out.
    """
    parser = _FormParser(form_id)
    parser.feed(response.content.decode())
    data = {}
    for name, value in parser.fields:
        if "__prefix__" in name:
            continue
        data.setdefault(name, []).append(value)
    assert data, f"no form with id {form_id!r} on the page"
    return data


def change_form_data(response):
    """The fields of an admin add or change form."""
    opts = response.context["opts"]
    return form_data(response, f"{opts.model_name}_form")


def changelist_data(response):
    """The fields of a changelist's list-editable form, with its Save button."""
    return form_data(response, "changelist-form") | {"_save": ["Save"]}


def field_names(data, suffix):
    """Names in ``data`` ending with ``suffix``, e.g. inline rows' "-body".

    The hidden copies of the values as loaded ("initial-…") are left out.
    """
    return [
        name
        for name in data
        if name.endswith(suffix) and not name.startswith("initial-")
    ]
