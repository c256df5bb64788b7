//! DICOM Upper Layer bytes written and read by hand, independent of fastdimse's codec.
//!
//! The A-ASSOCIATE-RQ has the shape pynetdicom 3.0.4 sends for C-ECHO (one Verification
//! context, four transfer syntaxes, maximum length 16382, implementation class UID and
//! version name), 287 bytes in all, so the association-shaped floor and this client move the
//! same byte counts. The C-ECHO-RQ is the 80-byte P-DATA-TF every SCU sends.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub const VERIFICATION: &str = "1.2.840.10008.1.1";
const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
const TRANSFER_SYNTAXES: [&str; 4] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
];
/// A UUID-derived UID (2.25.x), 32 characters like pynetdicom's.
const IMPLEMENTATION_CLASS_UID: &str = "2.25.302177921386517243971182301";
const IMPLEMENTATION_VERSION_NAME: &str = "FDBENCH_RAW_01";
const MAX_PDU_LENGTH: u32 = 16382;
/// The largest PDU this client accepts from a peer (ours is 16382; ACs are small).
const MAX_INCOMING_PDU: usize = 1 << 20;

pub const A_ASSOCIATE_AC: u8 = 0x02;
pub const A_ASSOCIATE_RJ: u8 = 0x03;
pub const P_DATA_TF: u8 = 0x04;
pub const A_RELEASE_RP: u8 = 0x06;
pub const A_ABORT: u8 = 0x07;

fn item(out: &mut Vec<u8>, item_type: u8, body: &[u8]) {
    out.push(item_type);
    out.push(0);
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
}

fn ae_title(title: &str) -> [u8; 16] {
    let mut t = [b' '; 16];
    for (d, s) in t.iter_mut().zip(title.bytes()) {
        *d = s;
    }
    t
}

/// A-ASSOCIATE-RQ for Verification, called `called`, calling `calling`.
pub fn associate_rq(calling: &str, called: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(300);
    body.extend_from_slice(&[0x00, 0x01, 0x00, 0x00]);
    body.extend_from_slice(&ae_title(called));
    body.extend_from_slice(&ae_title(calling));
    body.extend_from_slice(&[0u8; 32]);
    item(&mut body, 0x10, APPLICATION_CONTEXT.as_bytes());
    let mut pc = vec![0x01, 0x00, 0x00, 0x00];
    item(&mut pc, 0x30, VERIFICATION.as_bytes());
    for ts in TRANSFER_SYNTAXES {
        item(&mut pc, 0x40, ts.as_bytes());
    }
    item(&mut body, 0x20, &pc);
    let mut ui = Vec::new();
    item(&mut ui, 0x51, &MAX_PDU_LENGTH.to_be_bytes());
    item(&mut ui, 0x52, IMPLEMENTATION_CLASS_UID.as_bytes());
    item(&mut ui, 0x55, IMPLEMENTATION_VERSION_NAME.as_bytes());
    item(&mut body, 0x50, &ui);
    pdu(0x01, &body)
}

fn pdu(pdu_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(6 + body.len());
    out.push(pdu_type);
    out.push(0);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A-RELEASE-RQ.
pub const RELEASE_RQ: [u8; 10] = [0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0];

fn element(out: &mut Vec<u8>, element: u16, value: &[u8]) {
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}

/// A C-ECHO-RQ command set (Implicit VR LE, group length first) in one P-DATA-TF on
/// presentation context `context_id`: 80 bytes.
pub fn echo_rq(context_id: u8, message_id: u16) -> Vec<u8> {
    let mut uid = VERIFICATION.as_bytes().to_vec();
    uid.push(0);
    let mut rest = Vec::with_capacity(64);
    element(&mut rest, 0x0002, &uid);
    element(&mut rest, 0x0100, &0x0030u16.to_le_bytes());
    element(&mut rest, 0x0110, &message_id.to_le_bytes());
    element(&mut rest, 0x0800, &0x0101u16.to_le_bytes());
    let mut command = Vec::with_capacity(rest.len() + 12);
    element(&mut command, 0x0000, &(rest.len() as u32).to_le_bytes());
    command.extend_from_slice(&rest);
    let mut pdv = Vec::with_capacity(command.len() + 6);
    pdv.extend_from_slice(&((command.len() + 2) as u32).to_be_bytes());
    pdv.push(context_id);
    pdv.push(0x03);
    pdv.extend_from_slice(&command);
    pdu(P_DATA_TF, &pdv)
}

/// Reads one whole PDU into `buf` (header included); returns its type.
pub fn read_pdu(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<u8> {
    let mut header = [0u8; 6];
    stream.read_exact(&mut header)?;
    let length = u32::from_be_bytes([header[2], header[3], header[4], header[5]]) as usize;
    if length > MAX_INCOMING_PDU {
        return Err(io::Error::other(format!(
            "PDU of {length} bytes is over this client's limit"
        )));
    }
    buf.clear();
    buf.extend_from_slice(&header);
    buf.resize(6 + length, 0);
    stream.read_exact(&mut buf[6..])?;
    Ok(header[0])
}

/// An A-ASSOCIATE-AC's accepted context ID for Verification (the one context we proposed).
fn accepted_context(ac: &[u8]) -> Option<u8> {
    let mut at = 74;
    while at + 4 <= ac.len() {
        let item_type = ac[at];
        let len = u16::from_be_bytes([ac[at + 2], ac[at + 3]]) as usize;
        let body = ac.get(at + 4..at + 4 + len)?;
        if item_type == 0x21 && body.len() >= 4 && body[2] == 0 {
            return Some(body[0]);
        }
        at += 4 + len;
    }
    None
}

/// The fields of a C-ECHO-RSP that the client checks.
struct EchoRsp {
    command_field: u16,
    responded_to: u16,
    status: u16,
}

fn read_u16_value(value: &[u8]) -> Option<u16> {
    Some(u16::from_le_bytes([*value.first()?, *value.get(1)?]))
}

fn parse_command(command: &[u8]) -> Option<EchoRsp> {
    let (mut field, mut responded, mut status) = (None, None, None);
    let mut at = 0;
    while at + 8 <= command.len() {
        let element = u16::from_le_bytes([command[at + 2], command[at + 3]]);
        let len = u32::from_le_bytes([
            command[at + 4],
            command[at + 5],
            command[at + 6],
            command[at + 7],
        ]) as usize;
        let value = command.get(at + 8..(at + 8).checked_add(len)?)?;
        match element {
            0x0100 => field = read_u16_value(value),
            0x0120 => responded = read_u16_value(value),
            0x0900 => status = read_u16_value(value),
            _ => {}
        }
        at += 8 + len;
    }
    Some(EchoRsp {
        command_field: field?,
        responded_to: responded?,
        status: status?,
    })
}

/// One association over a blocking socket.
pub struct RawAssociation {
    stream: TcpStream,
    context_id: u8,
    buf: Vec<u8>,
    command: Vec<u8>,
    next_id: u16,
}

/// Connects and negotiates; `Err` says why it failed (refused, rejected, aborted, timeout).
/// `spread` connects from the next loopback source address (see [`crate::connect`]).
pub fn associate(
    addr: SocketAddr,
    rq: &[u8],
    timeout: Duration,
    spread: bool,
) -> Result<RawAssociation, String> {
    let mut stream =
        crate::connect::connect(addr, timeout, spread).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| format!("timeout: {e}"))?;
    stream.write_all(rq).map_err(|e| format!("send RQ: {e}"))?;
    let mut buf = Vec::with_capacity(512);
    match read_pdu(&mut stream, &mut buf).map_err(|e| format!("read AC: {e}"))? {
        A_ASSOCIATE_AC => {}
        A_ASSOCIATE_RJ => {
            let r = buf.get(7..10).unwrap_or(&[]);
            return Err(format!("rejected {r:?}"));
        }
        A_ABORT => return Err("aborted during negotiation".into()),
        t => return Err(format!("unexpected PDU type {t:#04x} during negotiation")),
    }
    let context_id = accepted_context(&buf).ok_or("Verification not accepted")?;
    Ok(RawAssociation {
        stream,
        context_id,
        buf,
        command: Vec::with_capacity(128),
        next_id: 1,
    })
}

impl RawAssociation {
    /// One C-ECHO: send the request, wait for a Success response matching it.
    pub fn echo(&mut self) -> Result<(), String> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.stream
            .write_all(&echo_rq(self.context_id, id))
            .map_err(|e| format!("send echo: {e}"))?;
        self.command.clear();
        loop {
            match read_pdu(&mut self.stream, &mut self.buf)
                .map_err(|e| format!("read echo rsp: {e}"))?
            {
                P_DATA_TF => {}
                A_ABORT => return Err("aborted during echo".into()),
                t => return Err(format!("unexpected PDU type {t:#04x} during echo")),
            }
            // PDVs: 4-byte length, context ID, control header, fragment.
            let mut at = 6;
            let mut last = false;
            while at + 6 <= self.buf.len() {
                let len = u32::from_be_bytes([
                    self.buf[at],
                    self.buf[at + 1],
                    self.buf[at + 2],
                    self.buf[at + 3],
                ]) as usize;
                let end = at
                    .checked_add(4 + len)
                    .filter(|&e| e <= self.buf.len() && len >= 2)
                    .ok_or("bad PDV length")?;
                let control = self.buf[at + 5];
                if control & 0x01 == 0 {
                    return Err("data set fragment in a C-ECHO-RSP".into());
                }
                self.command.extend_from_slice(&self.buf[at + 6..end]);
                last = control & 0x02 != 0;
                at = end;
            }
            if last {
                break;
            }
        }
        let rsp = parse_command(&self.command).ok_or("malformed C-ECHO-RSP command set")?;
        if rsp.command_field != 0x8030 || rsp.responded_to != id {
            return Err(format!(
                "response {:#06x} to {} for request {id}",
                rsp.command_field, rsp.responded_to
            ));
        }
        if rsp.status != 0 {
            return Err(format!("status {:#06x}", rsp.status));
        }
        Ok(())
    }

    /// A-RELEASE-RQ, wait for A-RELEASE-RP, close.
    pub fn release(mut self) -> Result<(), String> {
        self.stream
            .write_all(&RELEASE_RQ)
            .map_err(|e| format!("send release: {e}"))?;
        match read_pdu(&mut self.stream, &mut self.buf).map_err(|e| format!("read RP: {e}"))? {
            A_RELEASE_RP => Ok(()),
            t => Err(format!("unexpected PDU type {t:#04x} during release")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_real_association() {
        assert_eq!(associate_rq("FDBENCH", "ANY-SCP").len(), 287);
        assert_eq!(echo_rq(1, 1).len(), 80);
    }

    #[test]
    fn echo_rq_matches_pynetdicoms_bytes() {
        let captured = "04000000004a0000004601030000000004000000380000000000020012000000312e322e3834302e31303030382e312e3100000000010200000030000000100102000000010000000008020000000101";
        let ours: String = echo_rq(1, 1).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(ours, captured);
    }

    #[test]
    fn parses_a_captured_echo_rsp() {
        let hex = "0000000004000000420000000000020012000000312e322e3834302e31303030382e312e310000000001020000003080000020010200000001000000000802000000010100000009020000000000";
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let rsp = parse_command(&bytes).unwrap();
        assert_eq!(
            (rsp.command_field, rsp.responded_to, rsp.status),
            (0x8030, 1, 0)
        );
    }
}
