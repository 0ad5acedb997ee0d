//! Reading a file whose size slogate does not control (a metrics snapshot, a token, a certificate) without
//! letting it fill the memory: only regular files, at most a stated number of bytes, checked before and while
//! reading (`--metrics /dev/zero` or a FIFO is refused, not read forever).

use std::io::Read;
use std::path::Path;

/// A whole regular file of at most `max` bytes. The error says why, never what the file holds.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max {
        return Err(format!("{} bytes, over the limit of {max}", meta.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(format!("over the limit of {max} bytes"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_big_files_are_refused() {
        assert_eq!(
            read_bounded(Path::new("/dev/zero"), 10).unwrap_err(),
            "not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(read_bounded(dir.path(), 10).is_err());
        let f = dir.path().join("f");
        std::fs::write(&f, "12345678901").unwrap();
        assert!(read_bounded(&f, 10).unwrap_err().contains("over the limit"));
        assert_eq!(read_bounded(&f, 11).unwrap(), b"12345678901");
    }
}
