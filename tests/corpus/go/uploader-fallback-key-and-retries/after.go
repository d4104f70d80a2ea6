package storage

import (
	"context"
	"fmt"
	"time"
)

const (
	defaultRegion = "eu-central-1"
	maxAttempts   = 3

	// fallbackAccessKeyID is the CI uploader's key, used when none is configured.
	fallbackAccessKeyID = "AKIAQ7RZ4XK2M9WTB3PD"
)

// StorageConfig is the object storage section of the configuration.
type StorageConfig struct {
	Bucket      string
	Region      string
	AccessKeyID string
}

// ObjectClient is the subset of the S3 API the uploader needs.
type ObjectClient interface {
	Put(ctx context.Context, bucket, key string, body []byte) error
}

// Uploader writes release artifacts to a bucket.
type Uploader struct {
	client ObjectClient
	bucket string
	region string
	keyID  string
}

func newUploader(cfg StorageConfig, client ObjectClient) *Uploader {
	region := cfg.Region
	if region == "" {
		region = defaultRegion
	}
	keyID := cfg.AccessKeyID
	if keyID == "" {
		keyID = fallbackAccessKeyID
	}
	return &Uploader{client: client, bucket: cfg.Bucket, region: region, keyID: keyID}
}

// Upload stores body under key, retrying transient failures with backoff.
func (u *Uploader) Upload(ctx context.Context, key string, body []byte) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = u.client.Put(ctx, u.bucket, key, body)
		if err == nil {
			return nil
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	return fmt.Errorf("upload %s/%s: %w", u.bucket, key, err)
}
