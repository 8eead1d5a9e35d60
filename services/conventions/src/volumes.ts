/**
 * The one writable place of a boxoffice container: the root filesystem is read-only, so /tmp is an
 * emptyDir (node writes nothing else; the size bounds a runaway writer).
 */
export const TMP_VOLUME = { name: 'tmp', mountPath: '/tmp', sizeLimitMebibytes: 64 } as const;

export const tmpVolume = () => ({
  name: TMP_VOLUME.name,
  emptyDir: { sizeLimit: `${TMP_VOLUME.sizeLimitMebibytes}Mi` },
});

export const tmpVolumeMount = () => ({ name: TMP_VOLUME.name, mountPath: TMP_VOLUME.mountPath });
