package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/sportello/sportello/core"
)

// Plates the citizen registers and the fines of their plates
// (docs/payments.md). Every call is naturally idempotent at the server,
// so the client repeats them after a lost answer.

// Plates lists the plates the citizen registered.
func (c *Client) Plates(ctx context.Context, auth Authorizer) ([]core.RegisteredPlate, error) {
	var out []core.RegisteredPlate
	_, err := c.authGet(ctx, auth, "/api/v1/me/plates", &out, nil)
	if err == nil && out == nil {
		err = fmt.Errorf("%w: plates", core.ErrBadResponse)
	}
	return out, err
}

// RegisterPlate registers a plate (or renews one registered before). A
// refused plate is a *core.Problem of type core.ProblemInvalid whose
// InvalidParams say why (core.ReasonPlateFormat, ...); a sixth plate
// core.ProblemPlateLimit.
func (c *Client) RegisterPlate(ctx context.Context, auth Authorizer, reg core.PlateRegistration) (core.RegisteredPlate, error) {
	var out core.RegisteredPlate
	_, err := c.postRetrying(ctx, auth, "/api/v1/me/plates", reg, "", true, &out)
	if err == nil && out.Plate == "" {
		err = fmt.Errorf("%w: plate", core.ErrBadResponse)
	}
	return out, err
}

// ConfirmPlate renews the self-declaration of a registered plate.
func (c *Client) ConfirmPlate(ctx context.Context, auth Authorizer, plate string) (core.RegisteredPlate, error) {
	var out core.RegisteredPlate
	_, err := c.postRetrying(ctx, auth, "/api/v1/me/plates/"+url.PathEscape(plate)+"/confirm", nil, "", true, &out)
	if err == nil && out.Plate == "" {
		err = fmt.Errorf("%w: plate", core.ErrBadResponse)
	}
	return out, err
}

// RemovePlate removes a registered plate; removing one that is not there
// is no error.
func (c *Client) RemovePlate(ctx context.Context, auth Authorizer, plate string) error {
	_, err := c.authDo(ctx, auth, http.MethodDelete, "/api/v1/me/plates/"+url.PathEscape(plate))
	return err
}

// Fines lists the citizen's fines with the amount due today, and the
// registered plates whose declaration lapsed.
func (c *Client) Fines(ctx context.Context, auth Authorizer) (core.FineList, error) {
	var out core.FineList
	_, err := c.authGet(ctx, auth, "/api/v1/me/fines/notices", &out, nil)
	if err == nil && out.Fines == nil {
		err = fmt.Errorf("%w: fines", core.ErrBadResponse)
	}
	return out, err
}
