// ImageSource: container images in the engine of the machine running cac, to preload into a box's engine
// (`[boxes] preload_images`: air-gapped boxes, images that are in no registry).
import type { Readable } from 'node:stream';

/** An image being exported (`docker save`). */
export interface ImageExport {
  /** The image tarball. */
  stream: Readable;
  /** Settles when the export ended; rejects when it failed. */
  done: Promise<void>;
}

/** The port for images copied from the local engine into a box. */
export interface ImageSource {
  /** The image's id (`sha256:…`) in the local engine, or undefined when it is not there. */
  imageId(image: string, opts?: { signal?: AbortSignal }): Promise<string | undefined>;
  /** Starts exporting the image. */
  save(image: string, opts?: { signal?: AbortSignal }): ImageExport;
}
