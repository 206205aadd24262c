package chunk

// Message is one RTMP message (after de-chunking).
type Message struct {
	ChunkStreamID int    // MinChunkStreamID..MaxChunkStreamID
	Timestamp     uint32 // absolute, in milliseconds; wraps at 2^32
	TypeID        uint8  // one of the Type constants, or another message type
	StreamID      uint32 // message stream id; 0 for control messages
	Payload       []byte
}

// Message type ids (RTMP 1.0 specification, sections 5.4 and 7.1).
const (
	TypeSetChunkSize     uint8 = 1
	TypeAbort            uint8 = 2
	TypeAck              uint8 = 3
	TypeUserControl      uint8 = 4
	TypeWindowAckSize    uint8 = 5
	TypeSetPeerBandwidth uint8 = 6
	TypeAudio            uint8 = 8
	TypeVideo            uint8 = 9
	TypeDataAMF3         uint8 = 15
	TypeSharedObjectAMF3 uint8 = 16
	TypeCommandAMF3      uint8 = 17
	TypeDataAMF0         uint8 = 18
	TypeSharedObjectAMF0 uint8 = 19
	TypeCommandAMF0      uint8 = 20
	TypeAggregate        uint8 = 22
)
