"""The studio's prompt form: the generation options and their bounds come from studio.params.BOUNDS."""

from django import forms
from django.conf import settings

from .params import BOUNDS, INTEGER_PARAMS

LABELS = {
    "num_frames": ("Frames", "length of the clip in frames"),
    "width": ("Width", "pixels"),
    "height": ("Height", "pixels"),
    "steps": ("Denoising steps", "more steps: finer detail, slower"),
    "guidance": ("Guidance", "how closely the clip follows the prompt"),
    "seed": ("Seed", "empty for a random seed; the same seed repeats a clip"),
}


def _option_field(name: str) -> forms.Field:
    bound = BOUNDS[name]
    label, help_text = LABELS[name]
    attrs = {"min": f"{bound.minimum:g}", "max": f"{bound.maximum:g}"}
    if bound.multiple_of:
        attrs["step"] = str(bound.multiple_of)
    if name in INTEGER_PARAMS:
        field = forms.IntegerField(min_value=int(bound.minimum), max_value=int(bound.maximum),
                                   step_size=bound.multiple_of, widget=forms.NumberInput(attrs=attrs))
    else:
        attrs["step"] = "0.5"
        field = forms.FloatField(min_value=bound.minimum, max_value=bound.maximum,
                                 widget=forms.NumberInput(attrs=attrs))
    field.required = False
    field.label = label
    field.help_text = f"{help_text} ({bound.minimum:g} to {bound.maximum:g})"
    field.initial = bound.default
    return field


class GenerationForm(forms.Form):
    prompt = forms.CharField(widget=forms.Textarea(attrs={
        "rows": 3, "placeholder": "a red ball bouncing on a dark background"}))
    negative_prompt = forms.CharField(required=False, label="Negative prompt",
                                      help_text="what the clip should avoid (optional)")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        limit = settings.CLEARFRAME["MAX_PROMPT_LENGTH"]
        for name in ("prompt", "negative_prompt"):
            self.fields[name].max_length = limit
            self.fields[name].widget.attrs["maxlength"] = str(limit)
        for name in BOUNDS:
            self.fields[name] = _option_field(name)

    def option_fields(self):
        return [self[name] for name in BOUNDS]

    def params(self) -> dict:
        """The options the creator set; the ones left empty take their defaults in params_validate."""
        return {name: self.cleaned_data[name] for name in BOUNDS if self.cleaned_data.get(name) is not None}
