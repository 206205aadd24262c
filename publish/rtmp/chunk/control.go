package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrInvalidPayloadLength is returned by the Unmarshal methods of the control
// payloads when the payload length is not the one the message type has, and
// by UserControl.Marshal, UserControl.Field and UserControl.PingResponse when
// the event data has the wrong length.
var ErrInvalidPayloadLength = errors.New("invalid payload length")

// ErrInvalidLimitType is returned by SetPeerBandwidth.Marshal and
// SetPeerBandwidth.Unmarshal for a limit type other than LimitHard, LimitSoft
// and LimitDynamic.
var ErrInvalidLimitType = errors.New("invalid limit type")

// Control is the payload of a protocol control message or a user control
// message.
type Control interface {
	// TypeID returns the message type that carries the payload.
	TypeID() uint8
	// Marshal encodes the payload.
	Marshal() ([]byte, error)
}

// NewControlMessage returns c as a message on ControlChunkStreamID and message
// stream 0, where the specification puts control messages.
func NewControlMessage(c Control, timestamp uint32) (*Message, error) {
	p, err := c.Marshal()
	if err != nil {
		return nil, err
	}
	return &Message{
		ChunkStreamID: ControlChunkStreamID,
		Timestamp:     timestamp,
		TypeID:        c.TypeID(),
		Payload:       p,
	}, nil
}

// SetChunkSize is the payload of a Set Chunk Size message: the chunk size its
// sender uses from then on.
type SetChunkSize struct {
	Size uint32 // 1..MaxChunkSize
}

// TypeID returns TypeSetChunkSize.
func (SetChunkSize) TypeID() uint8 { return TypeSetChunkSize }

// Marshal encodes s. It returns ErrInvalidChunkSize for a size of 0 or above
// MaxChunkSize.
func (s SetChunkSize) Marshal() ([]byte, error) {
	if err := checkChunkSize(s.Size); err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint32(nil, s.Size), nil
}

// Unmarshal decodes p into s. It returns ErrInvalidPayloadLength unless p
// holds 4 bytes, and ErrInvalidChunkSize for a size of 0 or above MaxChunkSize
// (the first bit must be 0).
func (s *SetChunkSize) Unmarshal(p []byte) error {
	v, err := payloadUint32(p)
	if err != nil {
		return err
	}
	if err := checkChunkSize(v); err != nil {
		return err
	}
	s.Size = v
	return nil
}

func checkChunkSize(n uint32) error {
	if n == 0 || n > MaxChunkSize {
		return fmt.Errorf("%w: chunk size (%d) is outside 1..%d", ErrInvalidChunkSize, n, MaxChunkSize)
	}
	return nil
}

// Abort is the payload of an Abort message: its receiver discards the
// incomplete message of a chunk stream.
type Abort struct {
	ChunkStreamID uint32
}

// TypeID returns TypeAbort.
func (Abort) TypeID() uint8 { return TypeAbort }

// Marshal encodes a.
func (a Abort) Marshal() ([]byte, error) {
	return binary.BigEndian.AppendUint32(nil, a.ChunkStreamID), nil
}

// Unmarshal decodes p into a. It returns ErrInvalidPayloadLength unless p
// holds 4 bytes.
func (a *Abort) Unmarshal(p []byte) error {
	v, err := payloadUint32(p)
	a.ChunkStreamID = v
	return err
}

// Ack is the payload of an Acknowledgement message: the number of bytes its
// sender has received so far, modulo 2^32.
type Ack struct {
	SequenceNumber uint32
}

// TypeID returns TypeAck.
func (Ack) TypeID() uint8 { return TypeAck }

// Marshal encodes a.
func (a Ack) Marshal() ([]byte, error) {
	return binary.BigEndian.AppendUint32(nil, a.SequenceNumber), nil
}

// Unmarshal decodes p into a. It returns ErrInvalidPayloadLength unless p
// holds 4 bytes.
func (a *Ack) Unmarshal(p []byte) error {
	v, err := payloadUint32(p)
	a.SequenceNumber = v
	return err
}

// WindowAckSize is the payload of a Window Acknowledgement Size message: its
// receiver sends an Ack each time it has received this many more bytes.
type WindowAckSize struct {
	Size uint32
}

// TypeID returns TypeWindowAckSize.
func (WindowAckSize) TypeID() uint8 { return TypeWindowAckSize }

// Marshal encodes w.
func (w WindowAckSize) Marshal() ([]byte, error) {
	return binary.BigEndian.AppendUint32(nil, w.Size), nil
}

// Unmarshal decodes p into w. It returns ErrInvalidPayloadLength unless p
// holds 4 bytes.
func (w *WindowAckSize) Unmarshal(p []byte) error {
	v, err := payloadUint32(p)
	w.Size = v
	return err
}

// LimitType says how a receiver applies a Set Peer Bandwidth message.
type LimitType uint8

// Limit types.
const (
	LimitHard    LimitType = 0 // use Size as the window
	LimitSoft    LimitType = 1 // use the smaller of Size and the current window
	LimitDynamic LimitType = 2 // hard if the previous limit was hard, else ignore
)

// SetPeerBandwidth is the payload of a Set Peer Bandwidth message: it limits
// the receiver's output bandwidth to Size unacknowledged bytes.
type SetPeerBandwidth struct {
	Size  uint32
	Limit LimitType
}

// TypeID returns TypeSetPeerBandwidth.
func (SetPeerBandwidth) TypeID() uint8 { return TypeSetPeerBandwidth }

// Marshal encodes s. It returns ErrInvalidLimitType for an unknown limit type.
func (s SetPeerBandwidth) Marshal() ([]byte, error) {
	if s.Limit > LimitDynamic {
		return nil, fmt.Errorf("%w: %d", ErrInvalidLimitType, s.Limit)
	}
	return append(binary.BigEndian.AppendUint32(make([]byte, 0, 5), s.Size), uint8(s.Limit)), nil
}

// Unmarshal decodes p into s. It returns ErrInvalidPayloadLength unless p
// holds 5 bytes, and ErrInvalidLimitType for an unknown limit type.
func (s *SetPeerBandwidth) Unmarshal(p []byte) error {
	if len(p) != 5 {
		return fmt.Errorf("%w: payload length (%d) is not %d", ErrInvalidPayloadLength, len(p), 5)
	}
	if LimitType(p[4]) > LimitDynamic {
		return fmt.Errorf("%w: %d", ErrInvalidLimitType, p[4])
	}
	s.Size = binary.BigEndian.Uint32(p)
	s.Limit = LimitType(p[4])
	return nil
}

func payloadUint32(p []byte) (uint32, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("%w: payload length (%d) is not %d", ErrInvalidPayloadLength, len(p), 4)
	}
	return binary.BigEndian.Uint32(p), nil
}
