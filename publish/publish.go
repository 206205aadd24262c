// Package publish pushes encoded media to servers: RTMP and RTMPS sessions
// (publish/rtmp), FLV packaging (publish/flv), and the Publisher that keeps
// a destination live with a bounded send queue and reconnects.
package publish
