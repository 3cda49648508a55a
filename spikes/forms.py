"""Staff triage forms: one for the spike page and the admin alike."""

from __future__ import annotations

from django import forms

from spikes.models import DismissReason

ACTIONS = ("confirm", "dismiss", "reopen")


class TriageForm(forms.Form):
    """Confirm, dismiss (with a reason) or reopen one spike, with a note."""

    action = forms.ChoiceField(choices=[(a, a.capitalize()) for a in ACTIONS])
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *DismissReason.choices], required=False, label="Reason"
    )
    note = forms.CharField(
        max_length=300, required=False, label="Note", widget=forms.TextInput(attrs={"maxlength": 300})
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "dismiss" and not data.get("reason"):
            self.add_error("reason", "Choose why the spike is dismissed.")
        if (
            data.get("action") == "dismiss"
            and data.get("reason") == DismissReason.OTHER
            and not data.get("note")
        ):
            self.add_error("note", 'Say why in the note when the reason is "other".')
        return data


class DismissForm(forms.Form):
    """The admin's bulk dismissal: one reason (and note) for every selected spike."""

    reason = forms.ChoiceField(choices=DismissReason.choices, label="Reason")
    note = forms.CharField(max_length=300, required=False, label="Note")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("reason") == DismissReason.OTHER and not data.get("note"):
            self.add_error("note", 'Say why in the note when the reason is "other".')
        return data
