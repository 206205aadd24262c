package handshake

// The digest handshake's keys, as every implementation has them (Adobe's
// Flash Player and Media Server; FFmpeg's rtmpproto.c, librtmp): a text
// and 32 fixed bytes. C1 is signed with the text part of the player's
// key, S1 with the text part of the server's; S2 and C2 with keys derived
// from the whole keys.
var keyTail = [32]byte{
	0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02,
	0x9E, 0x7E, 0x57, 0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8,
	0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
}

const (
	playerText = "Genuine Adobe Flash Player 001"       // 30 bytes
	serverText = "Genuine Adobe Flash Media Server 001" // 36 bytes
)

// playerKey is the whole player key (62 bytes); playerTextKey its text.
func playerKey() []byte { return append([]byte(playerText), keyTail[:]...) }

// serverKey is the whole server key (68 bytes); serverTextKey its text.
func serverKey() []byte { return append([]byte(serverText), keyTail[:]...) }

func playerTextKey() []byte { return []byte(playerText) }
func serverTextKey() []byte { return []byte(serverText) }
