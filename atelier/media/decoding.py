"""What a decoder may raise when it is handed hostile or broken bytes.

Pillow and its plugins, pillow-heif and PyAV each fail in their own way on a file they cannot read:
Pillow's DDS reader raises NotImplementedError for a pixel format it lacks, its TIFF reader
OverflowError or TypeError for absurd tags, libheif EOFError, the AVIF plugin RuntimeError, a
struct unpack struct.error, FFmpeg its own error classes. To the person uploading, all of them mean
one thing: we can't read this file. Every place that hands uploaded bytes to a decoder catches
DECODER_ERRORS and turns them into its own clear refusal (a ValidationError, so a 4xx), never a 500.
"""

import struct
import zipfile

import av
from PIL import Image

DECODER_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # includes PIL.UnidentifiedImageError
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
    RuntimeError,  # includes NotImplementedError and RecursionError
    MemoryError,
    OverflowError,
    ZeroDivisionError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    Image.DecompressionBombError,
    zipfile.BadZipFile,
    av.FFmpegError,
)
