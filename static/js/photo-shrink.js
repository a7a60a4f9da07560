// Photo shrinking for the filing and survey forms' "save data" mode, for villagers on a slow rural link: a JPEG is
// downsized on the phone to at most 2560 px on its longest side before upload. The capture time and GPS position are
// kept (the original's EXIF is copied into the new file, with Orientation set to 1 as the pixels are now upright), so
// the server's evidence checks (hash, near-duplicates, EXIF time and position) still work on what arrives.
// ClaimsPhotos.shrink(file, maxSide) resolves to the smaller File, or to null when the original should be sent as is.
(function () {
  "use strict";
  var DEFAULT_MAX_SIDE = 2560;
  var QUALITY = 0.85;
  var EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

  function isExifSegment(bytes, i) {
    if (bytes[i] !== 0xff || bytes[i + 1] !== 0xe1) return false;
    for (var k = 0; k < EXIF_ID.length; k++) if (bytes[i + 4 + k] !== EXIF_ID[k]) return false;
    return true;
  }

  // The JPEG's header segments up to the start of scan: [{start, end}] (end exclusive), or null when malformed.
  function segments(bytes) {
    if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
    var found = [], i = 2;
    while (i + 4 <= bytes.length && bytes[i] === 0xff && bytes[i + 1] !== 0xda) {
      var end = i + 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
      if (end < i + 4 || end > bytes.length) return null;
      found.push({ start: i, end: end });
      i = end;
    }
    return bytes[i] === 0xff && bytes[i + 1] === 0xda ? found : null;
  }

  // A copy of the original's APP1 Exif segment (marker included) with IFD0's Orientation set to 1, or null.
  function uprightExif(bytes, parts) {
    for (var n = 0; n < parts.length; n++) {
      if (!isExifSegment(bytes, parts[n].start)) continue;
      var seg = bytes.slice(parts[n].start, parts[n].end);
      // At most 65533 bytes of payload (its 16-bit length counts itself), and room for a TIFF header.
      if (seg.length - 4 > 65533 || seg.length < 18) return null;
      var view = new DataView(seg.buffer), tiff = 10;
      var order = view.getUint16(tiff);
      if (order !== 0x4949 && order !== 0x4d4d) return null;
      var little = order === 0x4949;
      if (view.getUint16(tiff + 2, little) !== 42) return null;
      var ifd0 = tiff + view.getUint32(tiff + 4, little);
      if (ifd0 + 2 > seg.length) return null;
      var count = view.getUint16(ifd0, little);
      if (ifd0 + 2 + count * 12 > seg.length) return null;
      for (var e = 0; e < count; e++) {
        var entry = ifd0 + 2 + e * 12;
        if (view.getUint16(entry, little) !== 0x0112) continue;
        if (view.getUint16(entry + 2, little) !== 3 || view.getUint32(entry + 4, little) !== 1) return null; // not one SHORT
        view.setUint16(entry + 8, 1, little);
      }
      return seg;
    }
    return null;
  }

  // The encoder's JPEG with `exif` right after its SOI, and without any Exif segment the encoder wrote itself.
  function withExif(encoded, exif) {
    var parts = segments(encoded);
    if (!parts) return null;
    var pieces = [encoded.subarray(0, 2), exif];
    parts.forEach(function (p) { if (!isExifSegment(encoded, p.start)) pieces.push(encoded.subarray(p.start, p.end)); });
    var scan = parts.length ? parts[parts.length - 1].end : 2;
    pieces.push(encoded.subarray(scan));
    return new Blob(pieces, { type: "image/jpeg" });
  }

  function readBytes(blob) {
    return blob.arrayBuffer().then(function (buffer) { return new Uint8Array(buffer); });
  }

  function loadImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file), img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("cannot decode")); };
      img.src = url; // browsers apply the EXIF orientation to an <img> by default
    });
  }

  // The decoded picture, upright (EXIF orientation applied).
  async function decode(file) {
    if (typeof createImageBitmap === "function") {
      try {
        return await createImageBitmap(file, { imageOrientation: "from-image" });
      } catch (e) { /* an older engine refuses the option, or cannot decode: try an <img> */ }
    }
    return loadImage(file);
  }

  function encode(picture, width, height) {
    var canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(width, height) : null;
    var ctx = canvas && canvas.getContext("2d");
    if (!ctx) {
      canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      ctx = canvas.getContext("2d");
    }
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(picture, 0, 0, width, height);
    if (canvas.convertToBlob) return canvas.convertToBlob({ type: "image/jpeg", quality: QUALITY });
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
  }

  async function shrink(file, maxSide) {
    maxSide = maxSide || DEFAULT_MAX_SIDE;
    try {
      var bytes = await readBytes(file);
      var parts = segments(bytes);
      if (!parts) return null; // not a JPEG
      var picture = await decode(file);
      var w = picture.naturalWidth || picture.width, h = picture.naturalHeight || picture.height;
      var longest = Math.max(w, h);
      if (!longest || longest <= maxSide) {
        if (picture.close) picture.close();
        return null;
      }
      var width = w >= h ? maxSide : Math.max(1, Math.round((w * maxSide) / h));
      var height = w >= h ? Math.max(1, Math.round((h * maxSide) / w)) : maxSide;
      var blob = await encode(picture, width, height);
      if (picture.close) picture.close();
      if (!blob) return null;
      var exif = uprightExif(bytes, parts);
      if (exif) blob = withExif(await readBytes(blob), exif) || blob;
      return new File([blob], file.name, { type: "image/jpeg", lastModified: file.lastModified });
    } catch (e) {
      return null; // undecodable or unencodable: the original goes up as it is
    }
  }

  window.ClaimsPhotos = { shrink: shrink };
})();
