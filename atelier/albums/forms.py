from django import forms

from atelier.albums.models import Album


class AlbumForm(forms.ModelForm):
    class Meta:
        model = Album
        fields = ["title", "description", "is_public"]
        labels = {"is_public": "Public: anyone can see this album on your profile"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AddToAlbumForm(forms.Form):
    """Pick one of your albums, or name a new one ("new" in `album`)."""

    album = forms.CharField(max_length=20)
    new_title = forms.CharField(max_length=100, required=False, label="New album title")

    def clean(self):
        data = super().clean()
        choice = data.get("album", "")
        if choice == "new":
            if not data.get("new_title", "").strip():
                self.add_error("new_title", "Give the new album a title.")
            data["album_id"] = None
        elif choice.isdigit():
            data["album_id"] = int(choice)
        else:
            self.add_error("album", "Choose an album.")
        return data


class OrderForm(forms.Form):
    order = forms.CharField(max_length=4000)

    def clean_order(self):
        try:
            return [int(part) for part in self.cleaned_data["order"].split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError("The order must be a list of post numbers.", code="bad_order") from None


class CoverForm(forms.Form):
    post = forms.IntegerField(required=False, min_value=1)
