//! Converters: String, ByteArray, Json (with and without schemas), the numeric converters and the
//! simple header converter.
