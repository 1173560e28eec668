/**
 * Largest single image file (one DICOM object, one PNG) accepted anywhere by default: 512 MiB.
 * Multi-frame objects are the big ones; a caller raises it (`maxImageBytes`) when an archive needs
 * more. Everything that inflates or reads a whole file checks the size against it first, so memory
 * stays bounded whatever a file claims.
 */
export const MAX_IMAGE_BYTES = 512 * 1024 * 1024;
