"""Uploaded files are received into memory only, never into a temporary file.

Django writes an upload over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file, which for a
patient's report or a consult's image would put it in clear on disk. This handler keeps
every file in memory and stops keeping bytes one past `max_bytes`: the service then
refuses the file as too large (its real size is still reported), and memory stays bounded.
A view installs it before the body is parsed:

    request._request.upload_handlers = [
        CappedMemoryUploadHandler(request._request, max_bytes=settings.X_MAX_BYTES)
    ]
"""

from io import BytesIO

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class CappedMemoryUploadHandler(FileUploadHandler):
    def __init__(self, request=None, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.keep = self.max_bytes + 1
        self.kept = BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = self.keep - self.kept.tell()
        if room > 0:
            self.kept.write(raw_data[:room])
        return None  # no later handler gets the data

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.kept.seek(0)
        return InMemoryUploadedFile(
            file=self.kept,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
