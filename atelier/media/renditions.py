"""The file names inside an item's (or a cover's) renditions dict, whatever its kind."""


def sized_file_names(sizes: list[dict]) -> list[str]:
    return [name for size in sizes for name in (size["name"], size.get("avif")) if name]


def rendition_names(renditions: dict) -> list[str]:
    """Every file name inside a renditions dict, whatever the item's kind."""
    names = sized_file_names(renditions.get("sizes", [])) + sized_file_names(renditions.get("poster_sizes", []))
    for key in ("poster", "mp4"):
        if renditions.get(key):
            names.append(renditions[key])
    names += [name for name in renditions.get("animated", {}).values() if name]
    return names
