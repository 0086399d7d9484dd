"""Report files are received into memory only, never into a temporary file.

Django writes an upload over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file, which for a
patient's report would put it in clear on disk. This handler keeps every file in memory
and stops keeping bytes one past RECORD_ATTACHMENT_MAX_BYTES: the service then refuses
the file as too large (its real size is still reported), and memory stays bounded.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class CappedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.keep = settings.RECORD_ATTACHMENT_MAX_BYTES + 1
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
